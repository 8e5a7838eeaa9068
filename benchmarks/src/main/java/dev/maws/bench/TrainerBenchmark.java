package dev.maws.bench;

import static dev.maws.bench.BenchReport.row;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.model.serve.PassThreads;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.trainer.data.Augmentation;
import dev.maws.trainer.data.Batch;
import dev.maws.trainer.data.BatchPipeline;
import dev.maws.trainer.data.ImageSource;

/**
 * {@code ./bench trainer}: the MAE step fed end to end (Kafka records -> S3 image GETs -> PNG decode
 * -> random resized crop + flip -> batch, through the trainer's {@link BatchPipeline}) against the
 * same step on batches already in memory, in the same JVM. The end-to-end run starts with a cold
 * image cache, so every image is fetched from S3. Goals (trainer issue): ratio >= 0.9, data wait < 10 %.
 *
 * <p>Before anything is timed, {@code --warm-up-steps} end-to-end steps on a cache of their own run
 * every path once (Kafka consumer, S3 client and server, decode, augment, step): without them the
 * JIT compiled the data path's first executions during the timed cold run. Each row also reports
 * the cores each kind of thread used while it ran ({@link ThreadCpu}). The timed rows come in
 * {@code --rounds} rounds (3): cold, cached, in-memory, after a first in-memory row; each end-to-end
 * row's ratio is taken against the faster in-memory row beside it, and the goals against the median.
 *
 * <p>The devstack (Kafka broker and S3 server) runs in a process of its own by default, as on a
 * cluster, where neither shares the trainer's JVM: in the same JVM their code kept the JIT busy
 * (methods compiled, deoptimised and compiled again as the work moved between broker, S3 server and
 * trainer) for a quarter of a core during the timed runs. {@code --devstack in-process} measures that
 * case. It still shares this machine's cores, which a cluster's would not, unless {@code --pin A/B}
 * puts the devstack process on CPUs A and this JVM (step and data path) on CPUs B: the step's intra-op
 * threads then follow B's size (PyTorch starts one per CPU it may use), in every row alike.
 */
final class TrainerBenchmark implements BenchMain.Benchmark {
    @Override
    public void run(String[] args, Path outDir) throws Exception {
        int images = 10240;
        int batch = 256;
        int steps = 32; // per timed run: with 16, starting each run's pipeline (consumer, JIT) weighed on the cold row
        // with 16, the JIT still took 0.05-0.06 cores through the first cold row, 0.01 with 64
        int warmUpSteps = 64;
        int rounds = 3;
        int fetchThreads = 8;
        String device = "cpu";
        String preset = "tiny-28";
        boolean devstackProcess = true;
        CpuPinning.Split pin = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warm-up-steps" -> warmUpSteps = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--fetch-threads" -> fetchThreads = Integer.parseInt(args[++i]);
                case "--device" -> device = args[++i];
                case "--preset" -> preset = args[++i];
                case "--devstack" -> devstackProcess = switch (args[++i]) {
                    case "process" -> true;
                    case "in-process" -> false;
                    default -> throw new IllegalArgumentException("--devstack is process or in-process, got " + args[i]);
                };
                case "--pin" -> pin = CpuPinning.Split.parse("--pin", args[++i]);
                default -> throw new IllegalArgumentException("usage: ./bench trainer [--images N] [--batch N] [--steps N] "
                        + "[--warm-up-steps N] [--rounds N] [--fetch-threads N] [--device cpu|gpu:N] [--preset tiny-28] "
                        + "[--devstack process|in-process] [--pin DEVSTACK_CPUS/TRAINER_CPUS]");
            }
        }
        if (rounds < 1 || steps < 1 || warmUpSteps < 1) {
            throw new IllegalArgumentException("--rounds, --steps and --warm-up-steps must be at least 1");
        }
        if (pin != null && !devstackProcess) {
            throw new IllegalArgumentException("--pin needs the devstack in a process of its own (--devstack process)");
        }
        if (pin != null) { // before PyTorch starts: its intra-op threads follow the CPUs it may use
            CpuPinning.pinProcess(ProcessHandle.current().pid(), pin.service());
        }
        VitConfig config = VitConfig.preset(preset);
        FashionMnist data = FashionMnist.isInstalled() ? FashionMnist.installed("train") : FashionMnist.fixture("train");
        images = Math.min(images, data.size());
        // too few images (no dataset-fashion-mnist: the 500 fixture images) and the "cold" rows read from the
        // cache after the first epoch: they say so in their names, so that no table passes them off as cold
        String coldRows = "cold cache";
        if (images < batch * (steps + 2)) {
            System.out.println("note: " + images + " images for " + (steps + 2) + " batches of " + batch
                    + ": epochs repeat, so later images come from the cache");
            coldRows = "NOT cold: " + images + " images repeat";
        }
        DjlRuntime runtime = DjlRuntime.start(System.getenv("DJL_CACHE_DIR"));
        BenchReport report = new BenchReport("trainer", device);
        Path dir = outDir.resolve("trainer-devstack");
        try (Stack stack = devstackProcess ? Stack.process(dir, pin) : Stack.inProcess(dir);
                ObjectStore store = new ObjectStore(stack.env().get("MAWS_S3_ENDPOINT"), stack.env().get("MAWS_S3_REGION"),
                        stack.env().get("MAWS_S3_ACCESS_KEY"), stack.env().get("MAWS_S3_SECRET_KEY"), DevStack.BUCKET);
                NDManager root = NDManager.newBaseManager(runtime.devices(device).get(0));
                Parameters params = new Parameters(root, 1)) {
            Model trained = new Model(params, new MaskedAutoencoder(params, config, true));
            long t0 = System.nanoTime();
            upload(stack.env().get("KAFKA_BOOTSTRAP_SERVERS"), store, data, images);
            double uploadSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%d images in S3 and on labeled-images in %.1f s%n", images, uploadSeconds);
            String threads = device.startsWith("gpu") ? "-" : Integer.toString(PassThreads.engineThreads(Device.cpu()));
            System.out.println("step: " + threads + " intra-op threads" + (pin == null ? "" : "; pinned: " + pin));

            AdamW optimizer = AdamW.mae(trained.params(), 0.05, 0);
            Random masks = new Random(1);
            BatchPipeline.Settings settings = new BatchPipeline.Settings(stack.env().get("KAFKA_BOOTSTRAP_SERVERS"),
                    "labeled-images", "bench", batch, config.imageSize(), config.channels(), new Augmentation(true, 0.2, 1.0, true), 1,
                    fetchThreads, 3, 10_000, 0.05, 200, true, BatchPipeline.Partition.WHOLE, true, 4, 128L << 20, 0.1);
            ImageDecoder decoder = new ImageDecoder(40_000_000);

            // warm-up: every path of the end-to-end run once, on a cache that is then dropped
            endToEnd(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, trained, optimizer, config, masks,
                    warmUpSteps);
            dataPathRate(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, Math.min(warmUpSteps, 4));

            // what each epoch reads before its first batch (maws.trainer.data.skip-superseded): its keys; the
            // second of two scans, the first runs its code once
            for (int i = 0; i < 2; i++) {
                try (BatchPipeline pipeline = new BatchPipeline(settings, new ImageSource(store, 1 << 20, 1 << 20), decoder,
                        null, null)) {
                    long s0 = System.nanoTime();
                    long records = pipeline.countEpochRecords(BatchPipeline.MIN_PLAN_COUNT_BUDGET, () -> false);
                    double scanSeconds = (System.nanoTime() - s0) / 1e9;
                    if (i == 1) {
                        System.out.printf("epoch key scan (each epoch, before its first batch): %d records in %.2f s, %.0f"
                                + " records/s%n", records, scanSeconds, records / scanSeconds);
                    }
                }
            }

            // batches for the in-memory side (read once, reused every step)
            List<Batch> inMemory = new ArrayList<>();
            try (BatchPipeline pipeline = new BatchPipeline(settings, new ImageSource(store, 1 << 24, 64L << 20), decoder,
                    null, null).begin()) {
                for (int i = 0; i < 4; i++) {
                    inMemory.add(pipeline.next(() -> false));
                }
            }
            for (int i = 0; i < 2; i++) { // warm-up
                step(trained, optimizer, inMemory.get(i), config, masks);
            }
            // rounds of: cold end-to-end, cached end-to-end, in-memory, after a first in-memory row. The same
            // step's speed moves within a run on this shared machine (in-memory rows of one run: 170 and 228
            // images/s; the first row was the slowest in every run so far, later ones still differ by up to
            // 16 %), so each end-to-end row is compared with the faster of the in-memory rows just before and
            // after it (the harder test), and the goals take the median over the rounds. Each cold row has a cache of its own: every image is fetched from S3 again.
            List<Row> rows = new ArrayList<>();
            ThreadCpu cpu = ThreadCpu.now(stack.process());
            double previous = inMemory(trained, optimizer, inMemory, config, masks, steps);
            rows.add(new Row("in-memory batches", previous, 0, ThreadCpu.now(stack.process()).columnsSince(cpu)));
            double[] coldRatios = new double[rounds];
            double[] cachedRatios = new double[rounds];
            double worstWait = 0;
            ImageSource warm = null;
            for (int r = 0; r < rounds; r++) {
                cpu = ThreadCpu.now(stack.process());
                double[] cold = endToEnd(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, trained, optimizer, config,
                        masks, steps);
                Row coldRow = new Row("Kafka+S3+decode+augment, " + coldRows, cold[0], cold[1],
                        ThreadCpu.now(stack.process()).columnsSince(cpu));
                // the same records with every image already in the trainer's cache: no S3 GETs (the pipeline
                // reads up to its prefetch depth ahead: those batches are cached too)
                warm = new ImageSource(store, 1 << 24, 256L << 20);
                dataPathRate(settings, warm, decoder, steps + settings.prefetchBatches() + 1);
                cpu = ThreadCpu.now(stack.process());
                double[] cached = endToEnd(settings, warm, decoder, trained, optimizer, config, masks, steps);
                Row cachedRow = new Row("Kafka+decode+augment, images cached", cached[0], cached[1],
                        ThreadCpu.now(stack.process()).columnsSince(cpu));
                cpu = ThreadCpu.now(stack.process());
                double next = inMemory(trained, optimizer, inMemory, config, masks, steps);
                Row memoryRow = new Row("in-memory batches", next, 0, ThreadCpu.now(stack.process()).columnsSince(cpu));
                double faster = Math.min(previous, next);
                coldRatios[r] = faster / cold[0];
                cachedRatios[r] = faster / cached[0];
                worstWait = Math.max(worstWait, Math.max(cold[1] / cold[0], cached[1] / cached[0]));
                rows.addAll(List.of(coldRow.round(r, coldRatios[r]), cachedRow.round(r, cachedRatios[r]), memoryRow.round(r, Double.NaN)));
                previous = next;
            }
            cpu = ThreadCpu.now(stack.process());
            double coldPathRate = dataPathRate(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, steps);
            Map<String, Object> coldPathCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);
            cpu = ThreadCpu.now(stack.process());
            double cachedPathRate = dataPathRate(settings, warm, decoder, steps);
            Map<String, Object> cachedPathCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);
            // each row also says where the process's CPU went while it ran (cores used, by thread)
            for (Row x : rows) {
                report.result(withCpu(row("run", x.name(), "model", preset, "threads", threads, "batch", batch, "steps", steps,
                        "images/s", steps * (double) batch / x.seconds(), "s/step", x.seconds() / steps, "data wait",
                        x.waitSeconds() / x.seconds(), "ratio", x.ratio()), x.cpu()));
            }
            report.result(withCpu(row("run", "data path alone, " + coldRows, "model", "-", "threads", "-", "batch", batch, "steps", steps,
                    "images/s", coldPathRate, "s/step", Double.NaN, "data wait", Double.NaN, "ratio", Double.NaN), coldPathCpu));
            report.result(withCpu(row("run", "data path alone, images cached", "model", "-", "threads", "-", "batch", batch, "steps", steps,
                    "images/s", cachedPathRate, "s/step", Double.NaN, "data wait", Double.NaN, "ratio", Double.NaN), cachedPathCpu));
            report.goal(BenchReport.Goal.atLeast("end-to-end / in-memory images/s, " + coldRows + ", median of " + rounds
                    + " rounds", median(coldRatios), 0.9));
            report.goal(BenchReport.Goal.atLeast("end-to-end / in-memory images/s, images cached, median of " + rounds
                    + " rounds", median(cachedRatios), 0.9));
            report.goal(BenchReport.Goal.atMost("data-wait fraction, worst end-to-end row", worstWait, 0.10));
            report.write(outDir);
        }
    }

    /** The model the steps train, on the benchmark's one device. */
    private record Model(Parameters params, MaskedAutoencoder mae) {}

    private static void step(Model trained, AdamW optimizer, Batch batch, VitConfig config, Random masks) {
        TrainingStep.run(trained.params(), s -> {
            NDArray imgs = Images.batch(s, batch.pixels(), batch.size(), config);
            return trained.mae().forward(imgs, 0.75, masks).loss();
        }, optimizer, 1e-4);
    }

    /** A timed row: seconds, of them waiting for a batch, its CPU columns, its ratio to the in-memory step. */
    private record Row(String name, double seconds, double waitSeconds, Map<String, Object> cpu, double ratio) {
        Row(String name, double seconds, double waitSeconds, Map<String, Object> cpu) {
            this(name, seconds, waitSeconds, cpu, Double.NaN);
        }

        Row round(int r, double ratio) {
            return new Row(name + " (round " + (r + 1) + ")", seconds, waitSeconds, cpu, ratio);
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Seconds of {@code steps} steps on batches already in memory. */
    private static double inMemory(Model trained, AdamW optimizer, List<Batch> batches, VitConfig config,
            Random masks, int steps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step(trained, optimizer, batches.get(i % batches.size()), config, masks);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static Map<String, Object> withCpu(Map<String, Object> row, Map<String, Object> cpu) {
        row.putAll(cpu);
        return row;
    }

    /** {seconds, seconds waiting for a batch} of {@code steps} steps fed by a pipeline over {@code images}. */
    private static double[] endToEnd(BatchPipeline.Settings settings, ImageSource images, ImageDecoder decoder,
            Model trained, AdamW optimizer, VitConfig config, Random masks, int steps) throws Exception {
        long wait = 0;
        long t0 = System.nanoTime();
        try (BatchPipeline pipeline = new BatchPipeline(settings, images, decoder, null, null).begin()) {
            for (int i = 0; i < steps; i++) {
                long w0 = System.nanoTime();
                Batch b = pipeline.next(() -> false);
                wait += System.nanoTime() - w0;
                step(trained, optimizer, b, config, masks);
            }
        }
        return new double[] {(System.nanoTime() - t0) / 1e9, wait / 1e9};
    }

    /** Images/s the data path delivers with nothing else running. */
    private static double dataPathRate(BatchPipeline.Settings settings, ImageSource images, ImageDecoder decoder, int batches)
            throws Exception {
        long t0 = System.nanoTime();
        try (BatchPipeline pipeline = new BatchPipeline(settings, images, decoder, null, null).begin()) {
            for (int i = 0; i < batches; i++) {
                pipeline.next(() -> false);
            }
        }
        return batches * (double) settings.batchSize() / ((System.nanoTime() - t0) / 1e9);
    }

    private static void upload(String kafka, ObjectStore store, FashionMnist data, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            List<Map.Entry<String, byte[]>> records = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int index = i;
                String uri = "images/fmnist/train/" + i + ".png";
                puts.add(pool.submit(() -> store.put(uri, data.png(index), "image/png")));
                records.add(Map.entry("fmnist-train-" + i, LabeledImage.newBuilder().setImageId("fmnist-train-" + i)
                        .setImageUri(uri).addSynsets(FashionMnist.CLASS_SYNSETS.get(data.label(i))).build().toByteArray()));
            }
            for (Future<?> f : puts) {
                f.get();
            }
            DevStackClients.produceAll(kafka, "labeled-images", records);
        } finally {
            pool.shutdown();
        }
    }

    /** The devstack in this JVM or in a process of its own; {@link #env()} as {@link DevStack#environment()} gives it. */
    private record Stack(Map<String, String> env, DevStack inProcess, Process process) implements AutoCloseable {
        static Stack inProcess(Path dir) throws IOException {
            DevStack stack = DevStack.fresh(dir).start();
            return new Stack(stack.environment(), stack, null);
        }

        /**
         * {@code DevStackMain} on this JVM's classpath, ready once it has written its environment file.
         *
         * @param pin its threads go to {@code pin.devstack()} (null: anywhere)
         */
        static Stack process(Path dir, CpuPinning.Split pin) throws IOException, InterruptedException {
            Files.createDirectories(dir);
            Path env = dir.resolveSibling(dir.getFileName() + ".env");
            Files.deleteIfExists(env);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g"));
            if (pin != null) {
                command.add(CpuPinning.activeProcessorCount(pin.devstack()));
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.maws.devstack.DevStackMain", "--data-dir",
                    dir.toString(), "--fresh", "--env-file", env.toString()));
            ProcessBuilder pb = new ProcessBuilder(command);
            Path log = dir.resolveSibling(dir.getFileName() + ".log");
            Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            DevStackProcess.awaitEnvFile(p, env, log, java.time.Duration.ofSeconds(180));
            if (pin != null) {
                try {
                    CpuPinning.pinProcess(p.pid(), pin.devstack());
                } catch (RuntimeException e) {
                    p.destroyForcibly(); // not yet a Stack that close() would stop
                    throw e;
                }
            }
            return new Stack(DevStackProcess.readEnvFile(env), null, p);
        }

        @Override
        public void close() throws InterruptedException {
            if (inProcess != null) {
                inProcess.close();
            }
            if (process != null) {
                process.destroy(); // SIGTERM: its shutdown hook stops Kafka and S3
                if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
