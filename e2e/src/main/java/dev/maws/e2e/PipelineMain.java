package dev.maws.e2e;

import java.nio.file.Path;

/**
 * {@code ./maws run [--preset quick|full|smoke] [--out DIR] [--train-images N] [--mae-epochs E]
 * [--wsp-epochs E] [--p P] [--q Q] [--seed N] [--faults|--no-faults]}: the local pipeline. Exit status 0
 * with report.json and report.html in the output directory, 1 with the reason on failure.
 */
public final class PipelineMain {
    private PipelineMain() {}

    public static void main(String[] args) {
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
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--preset" -> preset = value(args, ++i);
                    case "--out" -> out = Path.of(value(args, ++i));
                    case "--state" -> state = Path.of(value(args, ++i));
                    case "--p" -> p = Double.parseDouble(value(args, ++i));
                    case "--q" -> q = Double.parseDouble(value(args, ++i));
                    case "--seed" -> seed = Long.parseLong(value(args, ++i));
                    case "--train-images" -> trainImages = Integer.parseInt(value(args, ++i));
                    case "--mae-epochs" -> maeEpochs = Double.parseDouble(value(args, ++i));
                    case "--wsp-epochs" -> wspEpochs = Double.parseDouble(value(args, ++i));
                    case "--faults" -> faults = true;
                    case "--no-faults" -> faults = false;
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + " (see ./maws --help)");
                }
            }
            Preset chosen = Preset.named(preset).with(trainImages, maeEpochs, wspEpochs, faults);
            // a preset with changed sizes is another experiment: it must not overwrite the preset's own report
            boolean changed = trainImages != null || maeEpochs != null || wspEpochs != null;
            Path outDir = out != null ? out : state.resolve("reports").resolve(preset + (changed ? "-custom" : ""));
            Pipeline.run(new Pipeline.Options(chosen, new CaptionGenerator.Noise(p, q, seed), Path.of("").toAbsolutePath(),
                    state.toAbsolutePath(), outDir.toAbsolutePath()), Progress.console());
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.err.println("maws run: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("maws run failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
