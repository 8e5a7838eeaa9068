package dev.maws.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.GradMode;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

/**
 * {@code ./bench model [--device cpu|gpu:N] [--quick] [--profile]}: forward+backward+AdamW images/s
 * of the MAE and WSP steps, and the FLOP/s they reach as a fraction of this machine's ceiling,
 * measured in the same run as a large square fp32 matmul through DJL. With --profile, one more step
 * of each WSP case runs under PyTorch's profiler and its time is split by kind of op.
 */
final class ModelBenchmark implements BenchMain.Benchmark {
    private static final int VOCABULARY = 1000;

    private record Case(VitConfig config, String stage, int batch, int steps) {}

    @Override
    public void run(String[] args, Path outDir) throws Exception {
        String device = "cpu";
        boolean quick = false;
        boolean profile = false;
        int memorySteps = 0;
        boolean passThreads = false;
        String only = null;
        int steps = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = args[++i];
                case "--quick" -> quick = true;
                case "--profile" -> profile = true;
                case "--memory" -> memorySteps = Integer.parseInt(args[++i]);
                case "--pass-threads" -> passThreads = true;
                case "--case" -> only = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; use --device D, --quick, "
                        + "--profile, --memory STEPS, --pass-threads, --case \"vit-s/16 WSP\" (one step kind), --steps N");
            }
        }
        DjlRuntime runtime = DjlRuntime.start(System.getenv("DJL_CACHE_DIR"));
        runtime.devices(device); // fails on a device this machine does not have
        if (memorySteps > 0) {
            memory(device, runtime, memorySteps, outDir);
            return;
        }
        if (passThreads) {
            passThreads(outDir);
            return;
        }
        BenchReport report = new BenchReport("model", device + " (" + runtime.engineDescription() + ")");

        // The machine is shared and noisy: the ceiling is the best of two sizes, before and after the steps.
        double before = Math.max(matmulCeiling(device, 2048), matmulCeiling(device, 4096));
        int tinySteps = steps > 0 ? steps : quick ? 3 : 10;
        int vitSteps = steps > 0 ? steps : quick ? 1 : 3;
        String wanted = only;
        List<Case> cases = java.util.stream.Stream.of(
                new Case(VitConfig.tiny28(), "WSP", 256, tinySteps),
                new Case(VitConfig.tiny28(), "MAE", 256, tinySteps),
                new Case(VitConfig.vitS16(), "WSP", 32, vitSteps),
                new Case(VitConfig.vitS16(), "MAE", 32, vitSteps))
                .filter(c -> wanted == null || wanted.equals(c.config().name() + " " + c.stage())).toList();
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("--case must be one of \"tiny-28 WSP\", \"tiny-28 MAE\", \"vit-s/16 WSP\", "
                    + "\"vit-s/16 MAE\"; got \"" + only + "\"");
        }
        List<Measured> measured = new java.util.ArrayList<>();
        for (Case c : cases) {
            measured.add(measure(c, device, profile && "WSP".equals(c.stage())));
        }
        double after = Math.max(matmulCeiling(device, 2048), matmulCeiling(device, 4096));
        double ceiling = Math.max(before, after);

        report.result(row("fp32 matmul ceiling before the steps (best of 2048^2, 4096^2)", 0, 0, before / 1e9, before / ceiling));
        report.result(row("fp32 matmul ceiling after the steps", 0, 0, after / 1e9, after / ceiling));
        Map<String, Double> fraction = new LinkedHashMap<>();
        for (Measured m : measured) {
            Case c = m.c();
            double achieved = m.flops() / m.seconds();
            fraction.put(c.config().name() + " " + c.stage(), achieved / ceiling);
            report.result(row(c.config().name() + " " + c.stage() + " step, batch " + c.batch(), c.batch() / m.seconds(),
                    m.seconds() * 1000, achieved / 1e9, achieved / ceiling));
            // the profiled step's time by kind of op; the last column is the share of that step
            m.profile().forEach((category, secs) -> report.result(row("  profile: " + category, 0, secs * 1000, 0,
                    secs / m.profile().values().stream().mapToDouble(Double::doubleValue).sum())));
        }
        if (fraction.containsKey("vit-s/16 WSP")) {
            report.goal(BenchReport.Goal.atLeast("vit-s/16 WSP step (batch 32): fraction of matmul ceiling",
                    fraction.get("vit-s/16 WSP"), 0.60));
        }
        if (fraction.containsKey("tiny-28 WSP")) {
            report.goal(BenchReport.Goal.atLeast("tiny-28 WSP step (batch 256): fraction of matmul ceiling",
                    fraction.get("tiny-28 WSP"), 0.45));
        }
        report.write(outDir);
    }

    /**
     * {@code --memory N}: N tiny-28 WSP steps at batch 256, RSS and live NDArrays every 50 steps.
     * Run it with a fixed, pre-touched heap (MAWS_BENCH_JAVA_OPTS="-Xms1g -Xmx1g -XX:+AlwaysPreTouch")
     * so that RSS growth is native growth. Writes target/bench/model-memory.json.
     */
    private static void memory(String device, DjlRuntime runtime, int steps, Path outDir) throws Exception {
        String malloc = String.valueOf(System.getenv("LD_PRELOAD")).contains("jemalloc") ? "jemalloc" : "glibc";
        BenchReport report = new BenchReport("model-memory", device + " (" + runtime.engineDescription() + ", " + malloc + ")");
        VitConfig cfg = VitConfig.tiny28();
        int batch = 256;
        ai.djl.Device d = runtime.devices(device).get(0);
        double rssAt50 = 0;
        double rssEnd = 0;
        try (NDManager m = NDManager.newBaseManager(d); Parameters p = new Parameters(m, 1)) {
            Random random = new Random(1);
            float[] px = new float[batch * cfg.imageSize() * cfg.imageSize()];
            int[][] labels = new int[batch][];
            WspClassifier wsp = new WspClassifier(p, cfg, VOCABULARY);
            AdamW adamW = AdamW.mae(p, 0.05, 0);
            long t0 = System.nanoTime();
            for (int step = 1; step <= steps; step++) {
                for (int i = 0; i < px.length; i++) {
                    px[i] = random.nextFloat();
                }
                for (int i = 0; i < batch; i++) {
                    labels[i] = new int[] {random.nextInt(VOCABULARY)};
                }
                TrainingStep.run(p, s -> wsp.forwardLoss(wsp.forward(Images.batch(s, px, batch, cfg)), wsp.targets(s, labels, 0f)),
                        adamW, 1e-4);
                if (step % 50 == 0 || step == steps) {
                    double rss = rssMb();
                    int arrays = ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
                    double heap = Runtime.getRuntime().totalMemory() / 1048576.0;
                    report.result(BenchReport.row("step", step, "rss_mb", rss, "rss_minus_committed_heap_mb", rss - heap,
                            "live_ndarrays", arrays, "seconds", (System.nanoTime() - t0) / 1e9));
                    System.out.printf("step %d: RSS %.0f MB, RSS - committed heap %.0f MB, live NDArrays %d, %.0f s%n", step,
                            rss, rss - heap, arrays, (System.nanoTime() - t0) / 1e9);
                    if (step == 50) {
                        rssAt50 = rss;
                    }
                    rssEnd = rss;
                }
            }
        }
        report.goal(BenchReport.Goal.atMost("RSS growth from step 50 to step " + steps + " (%)",
                100 * (rssEnd - rssAt50) / rssAt50, 5));
        report.write(outDir);
    }

    /**
     * {@code --pass-threads}: the tiny-28 forward pass at batch 32 without gradients (what the inference
     * service runs) from one thread on PyTorch's intra-op threads, against two threads running passes
     * side by side on one intra-op thread each; idle, and beside a thread that is busy half the time
     * (1 ms on, 1 ms off), as request handling is. Three rounds of 300 passes each.
     */
    private static void passThreads(Path outDir) throws Exception {
        int engine = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        BenchReport report = new BenchReport("model-pass-threads", "cpu, " + engine + " intra-op threads by default");
        VitConfig cfg = VitConfig.tiny28();
        int batch = 32;
        int passes = 300;
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            WspClassifier wsp = new WspClassifier(p, cfg, VOCABULARY);
            float[] px = new float[batch * cfg.imageSize() * cfg.imageSize() * cfg.channels()];
            Random random = new Random(1);
            for (int i = 0; i < px.length; i++) {
                px[i] = random.nextFloat();
            }
            GradMode.off();
            for (int i = 0; i < 30; i++) {
                forward(m, wsp, px, batch, cfg);
            }
            for (boolean busy : new boolean[] {false, true}) {
                Thread noise = busy ? halfBusyThread() : null;
                try {
                    for (int round = 1; round <= 3; round++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < passes; i++) {
                            forward(m, wsp, px, batch, cfg);
                        }
                        double one = passes * batch / ((System.nanoTime() - t0) / 1e9);
                        double two = twoPassThreads(m, wsp, px, batch, cfg, passes, engine);
                        report.result(BenchReport.row("beside", busy ? "a thread busy half the time" : "nothing", "round", round,
                                "1 pass thread x " + engine + " intra-op (images/s)", one,
                                "2 pass threads x 1 intra-op (images/s)", two));
                    }
                } finally {
                    if (noise != null) {
                        noise.interrupt();
                    }
                }
            }
        }
        report.write(outDir);
    }

    private static double twoPassThreads(NDManager m, WspClassifier wsp, float[] px, int batch, VitConfig cfg, int passes,
            int engine) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(2);
        try {
            List<java.util.concurrent.Future<Long>> done = new java.util.ArrayList<>();
            for (int w = 0; w < 2; w++) {
                done.add(pool.submit(() -> {
                    GradMode.off();
                    ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
                    for (int i = 0; i < 5; i++) {
                        forward(m, wsp, px, batch, cfg);
                    }
                    ready.countDown();
                    ready.await();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < passes / 2; i++) {
                        forward(m, wsp, px, batch, cfg);
                    }
                    return t0;
                }));
            }
            long start = Long.MAX_VALUE;
            for (java.util.concurrent.Future<Long> f : done) {
                start = Math.min(start, f.get());
            }
            return (passes / 2) * 2 * batch / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
            ai.djl.pytorch.jni.JniUtils.setNumThreads(engine); // the setting is process-wide for some kernels
        }
    }

    private static void forward(NDManager m, WspClassifier wsp, float[] px, int batch, VitConfig cfg) {
        try (NDManager s = m.newSubManager()) {
            wsp.forward(Images.batch(s, px, batch, cfg)).toFloatArray();
        }
    }

    private static Thread halfBusyThread() {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long end = System.nanoTime() + 1_000_000;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "half-busy");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static double rssMb() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status (not Linux?)");
    }

    /** Seconds per step, the step's FLOPs, and (when profiled) seconds per kind of op of one more step. */
    private record Measured(Case c, double seconds, double flops, Map<String, Double> profile) {}

    private static Map<String, Object> row(String what, double imagesPerSecond, double msPerStep, double gflops, double fraction) {
        return BenchReport.row("measurement", what, "images_per_s", imagesPerSecond, "ms_per_step", msPerStep,
                "gflop_per_s", gflops, "fraction_of_ceiling", fraction);
    }

    /** FLOP/s of the best of 5 timings of an n x n fp32 matmul (2n^3 FLOPs). */
    private static double matmulCeiling(String device, int n) {
        ai.djl.Device d = DjlRuntime.start(null).devices(device).get(0);
        try (NDManager m = NDManager.newBaseManager(d)) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // forces completion on asynchronous devices
                }
                if (i > 0) {
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return 2.0 * n * n * n / best;
        }
    }

    private static Measured measure(Case c, String device, boolean profile) throws java.io.IOException {
        VitConfig cfg = c.config();
        ai.djl.Device d = DjlRuntime.start(null).devices(device).get(0);
        try (NDManager m = NDManager.newBaseManager(d); Parameters p = new Parameters(m, 1)) {
            Random random = new Random(1);
            float[] px = new float[c.batch() * cfg.channels() * cfg.imageSize() * cfg.imageSize()];
            for (int i = 0; i < px.length; i++) {
                px[i] = random.nextFloat();
            }
            int[][] labels = new int[c.batch()][];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = new int[] {random.nextInt(VOCABULARY)};
            }
            java.util.function.Function<NDManager, NDArray> loss;
            if ("WSP".equals(c.stage())) {
                WspClassifier wsp = new WspClassifier(p, cfg, VOCABULARY);
                loss = s -> wsp.forwardLoss(wsp.forward(Images.batch(s, px, c.batch(), cfg)), wsp.targets(s, labels, 0f));
            } else {
                MaskedAutoencoder mae = new MaskedAutoencoder(p, cfg, true);
                loss = s -> mae.forward(Images.batch(s, px, c.batch(), cfg), 0.75, random).loss();
            }
            AdamW adamW = AdamW.mae(p, 0.05, 0);
            TrainingStep.run(p, loss, adamW, 1e-4); // warm-up
            long faults0 = minorFaults();
            long t0 = System.nanoTime();
            for (int i = 0; i < c.steps(); i++) {
                TrainingStep.run(p, loss, adamW, 1e-4);
            }
            double seconds = (System.nanoTime() - t0) / 1e9 / c.steps();
            // pages the kernel had to hand out (and zero) during the steps: memory the allocator
            // returned to the system and took back, step after step
            double faults = (minorFaults() - faults0) / (double) c.steps();
            System.out.printf("%s %s: %.0f minor page faults per step (%.0f MB of fresh pages)%n", cfg.name(), c.stage(),
                    faults, faults * 4096 / 1e6);
            Map<String, Double> split = profile ? OpProfile.measure(() -> TrainingStep.run(p, loss, adamW, 1e-4)) : Map.of();
            double flops = "WSP".equals(c.stage()) ? wspFlops(cfg, c.batch()) : maeFlops(cfg, c.batch());
            return new Measured(c, seconds, flops, split);
        }
    }

    /** Minor page faults of this process so far (/proc/self/stat); -1 where there is no /proc. */
    private static long minorFaults() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            return Long.parseLong(ThreadCpu.fieldsAfterName(stat)[7]); // minflt
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    // --- FLOPs of one training step: forward matmuls x 3 (backward costs about twice the forward) --

    static double encoderFlops(VitConfig c, long tokens) {
        long d = c.width();
        double perBlock = 2.0 * tokens * d * 3 * d // qkv
                + 2.0 * 2 * tokens * tokens * d // q k^T and attn v
                + 2.0 * tokens * d * d // proj
                + 2.0 * 2 * tokens * d * c.mlpHidden(); // mlp
        return c.depth() * perBlock;
    }

    static double wspFlops(VitConfig c, int batch) {
        long l = c.numPatches();
        double forward = 2.0 * l * c.patchDim() * c.width() + encoderFlops(c, l + 1) + 2.0 * c.width() * VOCABULARY;
        return 3 * forward * batch;
    }

    static double maeFlops(VitConfig c, int batch) {
        long l = c.numPatches();
        long keep = (long) (l * 0.25);
        long dd = c.decoderWidth();
        long hidden = Math.round(dd * c.mlpRatio());
        double decoderBlock = 2.0 * (l + 1) * dd * 3 * dd + 2.0 * 2 * (l + 1) * (l + 1) * dd + 2.0 * (l + 1) * dd * dd
                + 2.0 * 2 * (l + 1) * dd * hidden;
        double forward = 2.0 * l * c.patchDim() * c.width() // patch embedding runs on every patch before masking
                + encoderFlops(c, keep + 1)
                + 2.0 * (keep + 1) * c.width() * dd
                + c.decoderDepth() * decoderBlock
                + 2.0 * (l + 1) * dd * c.patchDim();
        return 3 * forward * batch;
    }
}
