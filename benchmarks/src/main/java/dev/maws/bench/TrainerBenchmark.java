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

import ai.djl.ndarray.NDArray;
import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.DataParallel;
import dev.maws.model.runtime.DjlRuntime;
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
 * the cores each kind of thread used while it ran ({@link ThreadCpu}).
 *
 * <p>The devstack (Kafka broker and S3 server) runs in a process of its own by default, as on a
 * cluster, where neither shares the trainer's JVM: in the same JVM their code kept the JIT busy
 * (methods compiled, deoptimised and compiled again as the work moved between broker, S3 server and
 * trainer) for a quarter of a core during the timed runs. {@code --devstack in-process} measures that
 * case. It still shares this machine's cores, which a cluster's would not.
 */
final class TrainerBenchmark implements BenchMain.Benchmark {
    @Override
    public void run(String[] args, Path outDir) throws Exception {
        int images = 10240;
        int batch = 256;
        int steps = 32; // per timed run: with 16, starting each run's pipeline (consumer, JIT) weighed on the cold row
        int warmUpSteps = 16;
        int fetchThreads = 8;
        String device = "cpu";
        String preset = "tiny-28";
        boolean devstackProcess = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warm-up-steps" -> warmUpSteps = Integer.parseInt(args[++i]);
                case "--fetch-threads" -> fetchThreads = Integer.parseInt(args[++i]);
                case "--device" -> device = args[++i];
                case "--preset" -> preset = args[++i];
                case "--devstack" -> devstackProcess = switch (args[++i]) {
                    case "process" -> true;
                    case "in-process" -> false;
                    default -> throw new IllegalArgumentException("--devstack is process or in-process, got " + args[i]);
                };
                default -> throw new IllegalArgumentException("usage: ./bench trainer [--images N] [--batch N] [--steps N] "
                        + "[--warm-up-steps N] [--fetch-threads N] [--device cpu|gpu:N] [--preset tiny-28] "
                        + "[--devstack process|in-process]");
            }
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
        try (Stack stack = devstackProcess ? Stack.process(dir) : Stack.inProcess(dir);
                ObjectStore store = new ObjectStore(stack.env().get("MAWS_S3_ENDPOINT"), stack.env().get("MAWS_S3_REGION"),
                        stack.env().get("MAWS_S3_ACCESS_KEY"), stack.env().get("MAWS_S3_SECRET_KEY"), DevStack.BUCKET);
                DataParallel<MaskedAutoencoder> dp = DataParallel.create(runtime, device, 1,
                        p -> new MaskedAutoencoder(p, config, true))) {
            long t0 = System.nanoTime();
            upload(stack.env().get("KAFKA_BOOTSTRAP_SERVERS"), store, data, images);
            double uploadSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%d images in S3 and on labeled-images in %.1f s%n", images, uploadSeconds);

            AdamW optimizer = AdamW.mae(dp.parameters(0), 0.05, 0);
            Random masks = new Random(1);
            BatchPipeline.Settings settings = new BatchPipeline.Settings(stack.env().get("KAFKA_BOOTSTRAP_SERVERS"),
                    "labeled-images", "bench", batch, config.imageSize(), config.channels(), new Augmentation(true, 0.2, 1.0, true), 1,
                    fetchThreads, 3, 10_000, 0.05, 200, true);
            ImageDecoder decoder = new ImageDecoder(40_000_000);

            // warm-up: every path of the end-to-end run once, on a cache that is then dropped
            endToEnd(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, dp, optimizer, config, masks,
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
                step(dp, optimizer, inMemory.get(i), config, masks);
            }
            ThreadCpu cpu = ThreadCpu.now(stack.process());
            long m0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step(dp, optimizer, inMemory.get(i % inMemory.size()), config, masks);
            }
            double memorySeconds = (System.nanoTime() - m0) / 1e9;
            Map<String, Object> memoryCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);

            cpu = ThreadCpu.now(stack.process());
            double[] cold = endToEnd(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, dp, optimizer, config,
                    masks, steps);
            Map<String, Object> coldCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);
            double e2eSeconds = cold[0];
            double waitFraction = cold[1] / cold[0];

            // the same records again with every image already in the trainer's cache: no S3 GETs
            // (the pipeline reads up to its prefetch depth ahead: those batches are cached too)
            ImageSource warm = new ImageSource(store, 1 << 24, 256L << 20);
            dataPathRate(settings, warm, decoder, steps + settings.prefetchBatches() + 1);
            cpu = ThreadCpu.now(stack.process());
            double[] cached = endToEnd(settings, warm, decoder, dp, optimizer, config, masks, steps);
            Map<String, Object> cachedCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);
            double warmSeconds = cached[0];
            double warmWait = cached[1];

            double memoryRate = steps * (double) batch / memorySeconds;
            double e2eRate = steps * (double) batch / e2eSeconds;
            cpu = ThreadCpu.now(stack.process());
            double coldPathRate = dataPathRate(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, steps);
            Map<String, Object> coldPathCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);
            cpu = ThreadCpu.now(stack.process());
            double cachedPathRate = dataPathRate(settings, warm, decoder, steps);
            Map<String, Object> cachedPathCpu = ThreadCpu.now(stack.process()).columnsSince(cpu);
            // each row also says where the process's CPU went while it ran (cores used, by thread)
            report.result(withCpu(row("run", "in-memory batches", "model", preset, "batch", batch, "steps", steps, "images/s",
                    memoryRate, "s/step", memorySeconds / steps, "data wait", 0.0), memoryCpu));
            report.result(withCpu(row("run", "Kafka+S3+decode+augment, " + coldRows, "model", preset, "batch", batch, "steps",
                    steps, "images/s", e2eRate, "s/step", e2eSeconds / steps, "data wait", waitFraction), coldCpu));
            report.result(withCpu(row("run", "Kafka+decode+augment, images cached", "model", preset, "batch", batch, "steps",
                    steps, "images/s", steps * (double) batch / warmSeconds, "s/step", warmSeconds / steps, "data wait",
                    warmWait / warmSeconds), cachedCpu));
            report.result(withCpu(row("run", "data path alone, " + coldRows, "model", "-", "batch", batch, "steps", steps,
                    "images/s", coldPathRate, "s/step", Double.NaN, "data wait", Double.NaN), coldPathCpu));
            report.result(withCpu(row("run", "data path alone, images cached", "model", "-", "batch", batch, "steps", steps,
                    "images/s", cachedPathRate, "s/step", Double.NaN, "data wait", Double.NaN), cachedPathCpu));
            report.goal(BenchReport.Goal.atLeast("end-to-end / in-memory images/s, " + coldRows, e2eRate / memoryRate, 0.9));
            report.goal(BenchReport.Goal.atLeast("end-to-end / in-memory images/s, images cached",
                    steps * (double) batch / warmSeconds / memoryRate, 0.9));
            report.goal(BenchReport.Goal.atMost("data-wait fraction of the end-to-end run", waitFraction, 0.10));
            report.write(outDir);
        }
    }

    private static void step(DataParallel<MaskedAutoencoder> dp, AdamW optimizer, Batch batch, VitConfig config,
            Random masks) {
        dp.step((mae, s, from, to) -> {
            float[] px = from == 0 && to == batch.size() ? batch.pixels()
                    : Arrays.copyOfRange(batch.pixels(), from * (batch.pixels().length / batch.size()),
                            to * (batch.pixels().length / batch.size()));
            NDArray imgs = Images.batch(s, px, to - from, config);
            return mae.forward(imgs, 0.75, masks).loss();
        }, batch.size(), optimizer, 1e-4);
    }

    private static Map<String, Object> withCpu(Map<String, Object> row, Map<String, Object> cpu) {
        row.putAll(cpu);
        return row;
    }

    /** {seconds, seconds waiting for a batch} of {@code steps} steps fed by a pipeline over {@code images}. */
    private static double[] endToEnd(BatchPipeline.Settings settings, ImageSource images, ImageDecoder decoder,
            DataParallel<MaskedAutoencoder> dp, AdamW optimizer, VitConfig config, Random masks, int steps) throws Exception {
        long wait = 0;
        long t0 = System.nanoTime();
        try (BatchPipeline pipeline = new BatchPipeline(settings, images, decoder, null, null).begin()) {
            for (int i = 0; i < steps; i++) {
                long w0 = System.nanoTime();
                Batch b = pipeline.next(() -> false);
                wait += System.nanoTime() - w0;
                step(dp, optimizer, b, config, masks);
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

        /** {@code DevStackMain} on this JVM's classpath, ready once it has written its environment file. */
        static Stack process(Path dir) throws IOException, InterruptedException {
            Files.createDirectories(dir);
            Path env = dir.resolveSibling(dir.getFileName() + ".env");
            Files.deleteIfExists(env);
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-cp", System.getProperty("java.class.path"), "dev.maws.devstack.DevStackMain", "--data-dir",
                    dir.toString(), "--fresh", "--env-file", env.toString());
            Path log = dir.resolveSibling(dir.getFileName() + ".log");
            Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            DevStackProcess.awaitEnvFile(p, env, log, java.time.Duration.ofSeconds(180));
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
