package dev.maws.bench;

import static dev.maws.bench.BenchReport.row;

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
 */
final class TrainerBenchmark implements BenchMain.Benchmark {
    @Override
    public void run(String[] args, Path outDir) throws Exception {
        int images = 8192;
        int batch = 256;
        int steps = 16;
        int fetchThreads = 8;
        String device = "cpu";
        String preset = "tiny-28";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--fetch-threads" -> fetchThreads = Integer.parseInt(args[++i]);
                case "--device" -> device = args[++i];
                case "--preset" -> preset = args[++i];
                default -> throw new IllegalArgumentException("usage: ./bench trainer [--images N] [--batch N] [--steps N] "
                        + "[--fetch-threads N] [--device cpu|gpu:N] [--preset tiny-28]");
            }
        }
        VitConfig config = VitConfig.preset(preset);
        FashionMnist data = FashionMnist.isInstalled() ? FashionMnist.installed("train") : FashionMnist.fixture("train");
        images = Math.min(images, data.size());
        if (images < batch * (steps + 2)) {
            System.out.println("note: " + images + " images for " + (steps + 2) + " batches of " + batch
                    + ": epochs repeat, so later images come from the cache");
        }
        DjlRuntime runtime = DjlRuntime.start(System.getenv("DJL_CACHE_DIR"));
        BenchReport report = new BenchReport("trainer", device);
        Path dir = outDir.resolve("trainer-devstack");
        try (DevStack stack = DevStack.fresh(dir).start();
                ObjectStore store = new ObjectStore(stack.s3Endpoint(), "us-east-1", stack.s3AccessKey(),
                        stack.s3SecretKey(), DevStack.BUCKET);
                DataParallel<MaskedAutoencoder> dp = DataParallel.create(runtime, device, 1,
                        p -> new MaskedAutoencoder(p, config, true))) {
            long t0 = System.nanoTime();
            upload(stack, store, data, images);
            double uploadSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%d images in S3 and on labeled-images in %.1f s%n", images, uploadSeconds);

            AdamW optimizer = AdamW.mae(dp.parameters(0), 0.05, 0);
            Random masks = new Random(1);
            BatchPipeline.Settings settings = new BatchPipeline.Settings(stack.kafkaBootstrapServers(), "labeled-images",
                    "bench", batch, config.imageSize(), config.channels(), new Augmentation(true, 0.2, 1.0, true), 1,
                    fetchThreads, 3, 10_000, 0.05, 200);
            ImageDecoder decoder = new ImageDecoder(40_000_000);

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
            long m0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step(dp, optimizer, inMemory.get(i % inMemory.size()), config, masks);
            }
            double memorySeconds = (System.nanoTime() - m0) / 1e9;

            long wait = 0;
            long e0 = System.nanoTime();
            try (BatchPipeline pipeline = new BatchPipeline(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder,
                    null, null).begin()) {
                for (int i = 0; i < steps; i++) {
                    long w0 = System.nanoTime();
                    Batch b = pipeline.next(() -> false);
                    wait += System.nanoTime() - w0;
                    step(dp, optimizer, b, config, masks);
                }
            }
            double e2eSeconds = (System.nanoTime() - e0) / 1e9;

            // the same records again with every image already in the trainer's cache: no S3 GETs
            ImageSource warm = new ImageSource(store, 1 << 24, 256L << 20);
            dataPathRate(settings, warm, decoder, steps);
            long warmWait = 0;
            long w0 = System.nanoTime();
            try (BatchPipeline pipeline = new BatchPipeline(settings, warm, decoder, null, null).begin()) {
                for (int i = 0; i < steps; i++) {
                    long t = System.nanoTime();
                    Batch b = pipeline.next(() -> false);
                    warmWait += System.nanoTime() - t;
                    step(dp, optimizer, b, config, masks);
                }
            }
            double warmSeconds = (System.nanoTime() - w0) / 1e9;

            double memoryRate = steps * (double) batch / memorySeconds;
            double e2eRate = steps * (double) batch / e2eSeconds;
            double waitFraction = wait / 1e9 / e2eSeconds;
            report.result(row("run", "in-memory batches", "model", preset, "batch", batch, "steps", steps, "images/s",
                    memoryRate, "s/step", memorySeconds / steps, "data wait", 0.0));
            report.result(row("run", "Kafka+S3+decode+augment, cold cache", "model", preset, "batch", batch, "steps", steps,
                    "images/s", e2eRate, "s/step", e2eSeconds / steps, "data wait", waitFraction));
            report.result(row("run", "Kafka+decode+augment, images cached", "model", preset, "batch", batch, "steps", steps,
                    "images/s", steps * (double) batch / warmSeconds, "s/step", warmSeconds / steps, "data wait",
                    warmWait / 1e9 / warmSeconds));
            report.result(row("run", "data path alone, cold cache", "model", "-", "batch", batch, "steps", steps, "images/s",
                    dataPathRate(settings, new ImageSource(store, 1 << 24, 256L << 20), decoder, steps), "s/step", Double.NaN,
                    "data wait", Double.NaN));
            report.result(row("run", "data path alone, images cached", "model", "-", "batch", batch, "steps", steps,
                    "images/s", dataPathRate(settings, warm, decoder, steps), "s/step", Double.NaN, "data wait", Double.NaN));
            report.goal(BenchReport.Goal.atLeast("end-to-end / in-memory images/s, cold cache", e2eRate / memoryRate, 0.9));
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

    private static void upload(DevStack stack, ObjectStore store, FashionMnist data, int n) throws Exception {
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
            DevStackClients.produceAll(stack.kafkaBootstrapServers(), "labeled-images", records);
        } finally {
            pool.shutdown();
        }
    }
}
