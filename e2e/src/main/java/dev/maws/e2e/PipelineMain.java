package dev.maws.e2e;

import java.nio.file.Path;

/**
 * {@code ./maws run [--preset quick|full|smoke] [--out DIR] [--train-images N] [--mae-epochs E]
 * [--wsp-epochs E] [--p P] [--q Q] [--seed N] [--faults|--no-faults] [--dataset PATH] [--eval DIR]
 * [--model PRESET] [--batch-size N] [--image-size N] [--channels 1|3] [--processes N]}: the local pipeline. Exit status 0
 * with report.json and report.html in the output directory, 1 with the reason on failure.
 */
public final class PipelineMain {
    private PipelineMain() {}

    private static final java.util.concurrent.atomic.AtomicBoolean INTERRUPTED = new java.util.concurrent.atomic.AtomicBoolean();

    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> INTERRUPTED.set(true), "maws-interrupted"));
        String preset = "quick";
        Path out = null;
        Path state = Path.of(System.getenv().getOrDefault("MAWS_HOME", ".maws"));
        double p = 0.8;
        double q = 0.15;
        long seed = 42;
        Boolean faults = null;
        Integer trainImages = null;
        Double maeEpochs = null;
        Double wspEpochs = null;
        Path eval = null;
        String dataset = null;
        Integer imageSize = null;
        Integer channels = null;
        Integer processes = null;
        String model = null;
        Integer batchSize = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--preset" -> preset = value(args, ++i);
                    case "--out" -> out = Path.of(value(args, ++i));
                    case "--state" -> state = Path.of(value(args, ++i));
                    case "--p" -> p = number(args, ++i, 0, 1, true);
                    case "--q" -> q = number(args, ++i, 0, 1, true);
                    case "--seed" -> seed = whole(args, ++i, Long.MIN_VALUE);
                    case "--train-images" -> trainImages = (int) whole(args, ++i, 0);
                    case "--mae-epochs" -> maeEpochs = number(args, ++i, 0, 10_000, false);
                    case "--wsp-epochs" -> wspEpochs = number(args, ++i, 0, 10_000, false);
                    case "--eval" -> eval = Path.of(value(args, ++i)).toAbsolutePath();
                    case "--dataset" -> dataset = corpus(value(args, ++i));
                    case "--image-size" -> imageSize = (int) whole(args, ++i, 0);
                    case "--channels" -> channels = (int) whole(args, ++i, 0);
                    case "--processes" -> processes = (int) whole(args, ++i, 0);
                    case "--model" -> model = value(args, ++i);
                    case "--batch-size" -> batchSize = (int) whole(args, ++i, 0);
                    case "--faults" -> faults = true;
                    case "--no-faults" -> faults = false;
                    default -> throw new Usage("unknown option " + args[i] + " (see ./maws --help)");
                }
            }
            Preset chosen;
            try {
                chosen = Preset.named(preset).with(trainImages, maeEpochs, wspEpochs, faults).withModel(model, batchSize)
                        .withInput(imageSize, channels).withProcesses(processes);
            } catch (IllegalArgumentException e) {
                throw new Usage(e.getMessage());
            }
            // a preset with changed sizes is another experiment: it must not overwrite the preset's own report
            boolean changed = trainImages != null || maeEpochs != null || wspEpochs != null || imageSize != null
                    || channels != null || model != null || batchSize != null;
            String name = preset + (dataset == null ? "" : "-" + CorpusImport.datasetName(dataset)) + (changed ? "-custom" : "");
            Path outDir = out != null ? out : state.resolve("reports").resolve(name);
            Pipeline.run(new Pipeline.Options(chosen, new CaptionGenerator.Noise(p, q, seed), Path.of("").toAbsolutePath(),
                    state.toAbsolutePath(), outDir.toAbsolutePath(), eval, dataset), Progress.console());
            System.exit(0);
        } catch (Usage e) {
            System.err.println("maws run: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            if (INTERRUPTED.get()) { // Ctrl-C: what follows from the services being stopped is no failure
                System.err.println("maws run: interrupted; stopping everything it started");
                System.exit(130);
            }
            System.err.println("maws run failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    /**
     * A corpus location, checked before anything starts (a location that names no shards is a mistake on
     * the command line): a local one made absolute, an s3:// one listed on the S3 of the environment.
     */
    private static String corpus(String location) {
        boolean s3 = location.startsWith("s3://");
        String checked = s3 ? location : Path.of(location).toAbsolutePath().toString();
        dev.maws.platform.corpus.CorpusSource source = null;
        try {
            source = s3 ? dev.maws.platform.corpus.CorpusSource.forEnvironment(System.getenv())
                    : dev.maws.platform.corpus.CorpusSource.local();
            source.shards(checked);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new Usage("--dataset: " + e.getMessage() + (s3 ? " (S3 from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, "
                    + "AWS_SECRET_ACCESS_KEY)" : ""));
        } finally {
            if (source != null) {
                try {
                    source.close();
                } catch (Exception e) {
                    // a client that did not close holds nothing this run needs
                }
            }
        }
        return checked;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new Usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** A number in [min, max] ({@code minIncluded}) or (min, max], named by its option when it is not. */
    private static double number(String[] args, int i, double min, double max, boolean minIncluded) {
        String v = value(args, i);
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(minIncluded ? d >= min : d > min) || !(d <= max)) {
            throw new Usage(args[i - 1] + " needs a number in " + (minIncluded ? "[" : "(") + min + ", " + max + "], got " + v);
        }
        return d;
    }

    /** A whole number >= min (and an int when min is 0), named by its option when it is not. */
    private static long whole(String[] args, int i, long min) {
        String v = value(args, i);
        try {
            long n = min == 0 ? Integer.parseInt(v) : Long.parseLong(v);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Usage(args[i - 1] + " needs a whole number" + (min == 0 ? " from 0 to " + Integer.MAX_VALUE : "")
                + ", got " + v);
    }

    /** A mistake on the command line: its message says what to change; exit status 2. */
    private static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message);
        }
    }
}
