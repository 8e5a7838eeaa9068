package dev.maws.bench;

import static dev.maws.bench.BenchReport.row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.protobuf.ByteString;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.maws.devstack.DevStack;
import dev.maws.devstack.ServiceProcess;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.model.checkpoint.Checkpoint;
import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.nn.Parameters;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.model.serve.ServingModel;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;
import dev.maws.platform.checkpoint.S3CheckpointFiles;
import dev.maws.platform.image.DecodedImage;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.image.Pixels;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.Image;
import dev.maws.proto.v1.InferenceServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

/**
 * {@code ./bench inference}: Embed over gRPC (one image per request) against the packaged
 * inference-service at concurrency 1, 16 and 64, side by side with the raw forward pass of the
 * same checkpoint in this JVM (batched at the service's max batch size, and one image at a time).
 * The service runs as its own process on the same cores; the raw batched passes run before it starts
 * and again after its runs (the mean is the goal's denominator), the single-image ones before it.
 * Goals (inference issue): concurrency 64 >= 80 % of raw batched images/s; p99 at concurrency 1
 * within 2x of the raw single-image forward (shown against its p99 and, stricter, p50 against p50).
 */
final class InferenceBenchmark implements BenchMain.Benchmark {
    @Override
    public void run(String[] args, Path outDir) throws Exception {
        String preset = "tiny-28";
        int requests = 2000;
        int memoryRequests = 0;
        List<String> serviceJvm = List.of();
        int batch = 32;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--preset" -> preset = args[++i];
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--memory" -> memoryRequests = Integer.parseInt(args[++i]);
                case "--service-jvm" -> serviceJvm = List.of(args[++i].trim().split("\\s+"));
                default -> throw new IllegalArgumentException("usage: ./bench inference [--preset tiny-28] [--requests N] "
                        + "[--memory N [--service-jvm \"OPTIONS\"]]");
            }
        }
        if (serviceJvm.isEmpty()) {
            serviceJvm = memoryRequests > 0 ? List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch") : List.of("-Xmx1g");
        }
        Path jar = Path.of("inference-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (./mvnw -DskipTests install)");
        }
        VitConfig config = VitConfig.preset(preset);
        DjlRuntime runtime = DjlRuntime.start(System.getenv("DJL_CACHE_DIR"));
        BenchReport report = new BenchReport("inference", "cpu");
        Path dir = outDir.resolve("inference-devstack");
        FashionMnist data = FashionMnist.fixture("t10k");
        try (DevStack stack = DevStack.fresh(dir).start();
                ObjectStore store = new ObjectStore(stack.s3Endpoint(), "us-east-1", stack.s3AccessKey(),
                        stack.s3SecretKey(), DevStack.BUCKET)) {
            List<Vocabulary.Entry> entries = new ArrayList<>();
            for (int c = 0; c < 10; c++) {
                entries.add(new Vocabulary.Entry(FashionMnist.CLASS_SYNSETS.get(c), List.of(FashionMnist.CLASS_HASHTAGS.get(c)), 1));
            }
            new VocabularyStore(store).put(new Vocabulary("bench-v1", "2026-11-26T00:00:00Z", "bench", 10, entries));
            try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
                new WspClassifier(p, config, 10);
                Checkpoint.save(new S3CheckpointFiles(store, "bench-wsp", 1), p, null, new CheckpointManifest(
                        CheckpointManifest.FORMAT, "WSP", config, 10, "bench-v1", 1, 0, Map.of(), Map.of(), null, null));
            }

            // raw forward passes of the same checkpoint, in this JVM
            ImageDecoder decoder = new ImageDecoder(40_000_000);
            Pixels.Normalization norm = Pixels.Normalization.standard(config.channels());
            int per = config.channels() * config.imageSize() * config.imageSize();
            float[] px = new float[batch * per];
            for (int i = 0; i < batch; i++) {
                DecodedImage img = decoder.decode(data.png(i), config.channels());
                Pixels.resize(img, config.imageSize(), norm, px, i * per);
            }
            double rawBatchedBefore;
            double rawSingleMs;
            double rawSingleP99Ms;
            // as many images as the concurrency-64 run, once before the service starts and once after
            // its runs (the service idle): a single short raw row moved by +-15 % between runs
            int passes = Math.max(10, requests / batch);
            try (ServingModel model = ServingModel.load(new S3CheckpointFiles(store, "bench-wsp", 1), Device.cpu())) {
                for (int i = 0; i < 5; i++) {
                    model.embed(px, batch, null, false);
                }
                rawBatchedBefore = rawBatched(model, px, batch, passes);
                float[] one = Arrays.copyOf(px, per);
                double[] single = new double[1_000];
                for (int i = 0; i < single.length; i++) {
                    long s0 = System.nanoTime();
                    model.embed(one, 1, null, false);
                    single[i] = (System.nanoTime() - s0) / 1e6;
                }
                Arrays.sort(single);
                rawSingleMs = single[single.length / 2];
                rawSingleP99Ms = single[(int) (single.length * 0.99)];
                report.result(row("run", "raw forward, batch " + batch + ", before the service", "concurrency", "-",
                        "images/s", rawBatchedBefore, "p50 ms", Double.NaN, "p99 ms", Double.NaN));
                report.result(row("run", "raw forward, 1 image", "concurrency", "-", "images/s", 1000 / rawSingleMs, "p50 ms",
                        rawSingleMs, "p99 ms", single[(int) (single.length * 0.99)]));
            }

            int port = ServiceProcess.freePort();
            Map<String, String> env = new HashMap<>(stack.environment());
            env.put("MAWS_INFERENCE_DEFAULT_MODEL", "bench-wsp/step-1");
            env.put("MAWS_INFERENCE_MAX_BATCH_SIZE", String.valueOf(batch));
            if (System.getenv("DJL_CACHE_DIR") != null) {
                env.put("MAWS_DJL_CACHE_DIR", System.getenv("DJL_CACHE_DIR"));
            }
            Process service = ServiceProcess.start(jar, serviceJvm, env, port, outDir.resolve("inference-service.log"),
                    Duration.ofMinutes(3));
            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
            try {
                InferenceServiceGrpc.InferenceServiceBlockingStub grpc = InferenceServiceGrpc.newBlockingStub(channel);
                List<EmbedRequest> inputs = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    inputs.add(EmbedRequest.newBuilder().addImages(Image.newBuilder()
                            .setData(ByteString.copyFrom(data.png(i)))).build());
                }
                if (memoryRequests > 0) {
                    memory(grpc, inputs, service, port, memoryRequests, serviceJvm, report);
                    report.write(outDir.resolve("memory"));
                    return;
                }
                // warm the service's own code (gRPC, decode, batching) before anything is timed: the
                // concurrency-1 row used to come first, on a JVM that had served only 50 requests
                load(grpc, inputs, 16, 2_000);
                long rss0 = rssKb(service);
                double[] c1 = load(grpc, inputs, 1, Math.min(requests, 2_000));
                double[] c16 = load(grpc, inputs, 16, requests);
                double[] c64 = load(grpc, inputs, 64, requests);
                long rss1 = rssKb(service);
                int total = Math.min(requests, 2_000) + 2 * requests;
                report.result(row("run", "gRPC Embed, 1 image per request", "concurrency", 1, "images/s", c1[0], "p50 ms",
                        c1[1], "p99 ms", c1[2]));
                report.result(row("run", "gRPC Embed, 1 image per request", "concurrency", 16, "images/s", c16[0], "p50 ms",
                        c16[1], "p99 ms", c16[2]));
                report.result(row("run", "gRPC Embed, 1 image per request", "concurrency", 64, "images/s", c64[0], "p50 ms",
                        c64[1], "p99 ms", c64[2]));
                report.result(row("run", "service RSS after warm-up -> after " + total + " requests (MB)", "concurrency", "-",
                        "images/s", Double.NaN, "p50 ms", rss0 / 1024.0, "p99 ms", rss1 / 1024.0));
                double rawBatchedAfter;
                try (ServingModel model = ServingModel.load(new S3CheckpointFiles(store, "bench-wsp", 1), Device.cpu())) {
                    model.embed(px, batch, null, false);
                    rawBatchedAfter = rawBatched(model, px, batch, passes);
                }
                report.result(row("run", "raw forward, batch " + batch + ", after (service idle)", "concurrency", "-",
                        "images/s", rawBatchedAfter, "p50 ms", Double.NaN, "p99 ms", Double.NaN));
                double rawBatched = (rawBatchedBefore + rawBatchedAfter) / 2;
                report.goal(BenchReport.Goal.atLeast("concurrency 64 / raw batched images/s (mean of both)", c64[0] / rawBatched,
                        0.8));
                report.goal(BenchReport.Goal.atMost("p99 at concurrency 1 / raw single-image forward p99", c1[2] / rawSingleP99Ms,
                        2.0));
                report.goal(BenchReport.Goal.atMost("p50 at concurrency 1 / raw single-image forward p50", c1[1] / rawSingleMs,
                        2.0));
            } finally {
                channel.shutdownNow();
                service.destroy();
                service.waitFor(30, TimeUnit.SECONDS);
            }
            report.write(outDir);
        }
    }

    private static double rawBatched(ServingModel model, float[] px, int batch, int passes) {
        long t0 = System.nanoTime();
        for (int i = 0; i < passes; i++) {
            model.embed(px, batch, null, false);
        }
        return passes * (double) batch / ((System.nanoTime() - t0) / 1e9);
    }

    /** {images/s, p50 ms, p99 ms} of {@code count} requests from {@code concurrency} clients (after a warm-up). */
    private static double[] load(InferenceServiceGrpc.InferenceServiceBlockingStub grpc, List<EmbedRequest> inputs,
            int concurrency, int count) throws Exception {
        for (int i = 0; i < 50; i++) {
            grpc.embed(inputs.get(i % inputs.size()));
        }
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        double[] latencies = new double[count];
        AtomicInteger next = new AtomicInteger();
        long t0 = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                done.add(clients.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < count;) {
                        long s = System.nanoTime();
                        grpc.embed(inputs.get(i % inputs.size()));
                        latencies[i] = (System.nanoTime() - s) / 1e6;
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(latencies);
        return new double[] {count / seconds, latencies[count / 2], latencies[(int) Math.min(count - 1, count * 0.99)]};
    }

    /**
     * {@code --memory N}: N Embed requests at concurrency 16 in ten parts after a warm-up of 2,000, the
     * service's RSS and its live NDArrays ({@code maws_inference_live_ndarrays}) after each part. The
     * service runs on a fixed, pre-touched heap (by default 256 MB) so that RSS growth is native growth,
     * not the Java heap being touched for the first time.
     */
    private static void memory(InferenceServiceGrpc.InferenceServiceBlockingStub grpc, List<EmbedRequest> inputs,
            Process service, int port, int requests, List<String> serviceJvm, BenchReport report) throws Exception {
        load(grpc, inputs, 16, 2000);
        double rssStart = rssKb(service) / 1024.0;
        double arraysStart = liveArrays(port);
        report.result(row("requests", 0, "rss_mb", rssStart, "live_ndarrays", arraysStart, "images/s", Double.NaN));
        System.out.printf("after warm-up: RSS %.1f MB, live NDArrays %.0f (service JVM %s)%n", rssStart, arraysStart,
                String.join(" ", serviceJvm));
        double rss = rssStart;
        double arrays = arraysStart;
        int part = requests / 10;
        for (int done = part; done <= requests; done += part) {
            double[] r = load(grpc, inputs, 16, part);
            rss = rssKb(service) / 1024.0;
            arrays = liveArrays(port);
            report.result(row("requests", done, "rss_mb", rss, "live_ndarrays", arrays, "images/s", r[0]));
            System.out.printf("after %d requests: RSS %.1f MB, live NDArrays %.0f, %.0f images/s%n", done, rss, arrays, r[0]);
        }
        report.goal(BenchReport.Goal.atMost("RSS growth over " + requests + " requests after warm-up (%)",
                100 * (rss - rssStart) / rssStart, 5));
        report.goal(BenchReport.Goal.atMost("live NDArrays after / after warm-up", arrays / arraysStart, 1));
    }

    private static double liveArrays(int port) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + "/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
            if (line.startsWith("maws_inference_live_ndarrays")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new IllegalStateException("no maws_inference_live_ndarrays in the service's /q/metrics");
    }

    private static long rssKb(Process p) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
