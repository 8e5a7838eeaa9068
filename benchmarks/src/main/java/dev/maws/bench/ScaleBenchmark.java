package dev.maws.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;


/**
 * {@code ./bench scale}: data parallelism across processes on c10d (Gloo), on this machine's loopback.
 * Trains tiny-28 WSP (global batch 256) as 1 process x 2 intra-op threads and as 2 processes x 1 thread,
 * compares their parameters after the same steps and their images/s; all-reduces vit-b/16's gradient
 * size (86 M floats) between 2 processes against a memcpy of the same size in this JVM.
 * Options: {@code --steps N} (20), {@code --warmup N} (5), {@code --rounds N} (5).
 */
final class ScaleBenchmark implements BenchMain.Benchmark {
    private static final long VIT_B16_PARAMS = 86_000_000L;

    @Override
    public void run(String[] args, Path outDir) throws Exception {
        int steps = 20;
        int warmup = 5;
        int rounds = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--steps N, --warmup N, --rounds N)");
            }
        }
        Path tmp = Files.createTempDirectory("maws-bench-scale");
        BenchReport report = new BenchReport("scale", "cpu");

        double one = images(run(1, 2, tmp, "train", steps, warmup, tmp.resolve("one.bin")));
        double two = images(run(2, 1, tmp, "train", steps, warmup, tmp.resolve("two.bin")));
        float[] a = floats(tmp.resolve("one.bin"));
        float[] b = floats(tmp.resolve("two.bin"));
        double maxDiff = 0;
        double maxAbs = 0;
        double d2 = 0;
        double n2 = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            maxDiff = Math.max(maxDiff, Math.abs(d));
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
            d2 += d * d;
            n2 += (double) a[i] * a[i];
        }
        report.result(row("tiny-28 WSP, batch 256, 1 process x 2 threads", "images/s", one));
        report.result(row("tiny-28 WSP, batch 256, 2 processes x 1 thread (Gloo)", "images/s", two));
        report.result(row("parameters after " + steps + " steps, 2 processes vs 1", "max |diff| / max |param|", maxDiff / maxAbs));
        report.result(row("parameters after " + steps + " steps, 2 processes vs 1", "||diff|| / ||params||",
                Math.sqrt(d2 / n2)));

        List<Double> reduce = new ArrayList<>();
        for (String line : run(2, 1, tmp, "allreduce", VIT_B16_PARAMS, rounds)) {
            if (line.startsWith("allreduce_ms ")) {
                reduce.add(Double.parseDouble(line.substring(13)));
            }
        }
        double reduceMs = median(reduce.subList(1, reduce.size())); // the first round connects the buffers
        double copyMs = copyMillis(rounds);
        double bytes = VIT_B16_PARAMS * 4.0;
        report.result(row("all-reduce of vit-b/16's gradients (86 M floats), 2 processes", "ms", reduceMs));
        report.result(row("all-reduce of vit-b/16's gradients (86 M floats), 2 processes", "GB/s (size / time)",
                bytes / reduceMs / 1e6));
        report.result(row("memcpy of the same 344 MB in one process", "ms", copyMs));
        report.result(row("memcpy of the same 344 MB in one process", "GB/s (size / time)", bytes / copyMs / 1e6));
        report.goal(BenchReport.Goal.atMost("max relative difference of parameters after " + steps + " steps, 2 vs 1",
                maxDiff / maxAbs, 1e-4));
        report.goal(BenchReport.Goal.atLeast("images/s of 2 processes x 1 thread / 1 process x 2 threads", two / one, 0.8));
        report.write(outDir);
    }

    private static Map<String, Object> row(String run, String metric, double value) {
        return BenchReport.row("run", run, "metric", metric, "value", value);
    }

    /** The machine's memcpy: one direct buffer into another, both touched beforehand (median of rounds). */
    private static double copyMillis(int rounds) {
        ByteBuffer src = ByteBuffer.allocateDirect((int) (VIT_B16_PARAMS * 4));
        ByteBuffer dst = ByteBuffer.allocateDirect((int) (VIT_B16_PARAMS * 4));
        List<Double> ms = new ArrayList<>();
        for (int r = 0; r < rounds + 1; r++) {
            src.clear();
            dst.clear();
            long t = System.nanoTime();
            dst.put(src);
            ms.add((System.nanoTime() - t) / 1e6);
        }
        return median(ms.subList(1, ms.size()));
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double images(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("images_per_s ")).mapToDouble(l -> Double.parseDouble(l.substring(13)))
                .findFirst().orElseThrow(() -> new IllegalStateException("no images/s from the workers: " + lines));
    }

    private static float[] floats(Path file) throws IOException {
        FloatBuffer f = ByteBuffer.wrap(Files.readAllBytes(file)).asFloatBuffer();
        float[] v = new float[f.remaining()];
        f.get(v);
        return v;
    }

    /** Starts {@code world} workers with {@code threads} intra-op threads each; returns rank 0's output. */
    private static List<String> run(int world, int threads, Path tmp, Object... args) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> procs = new ArrayList<>();
        for (int rank = 0; rank < world; rank++) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=" + threads,
                    "-Dai.djl.pytorch.num_interop_threads=1", "-cp", System.getProperty("java.class.path"),
                    ScaleWorker.class.getName()));
            Arrays.stream(args).map(String::valueOf).forEach(cmd::add);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (rank > 0) {
                pb.redirectOutput(tmp.resolve("worker-" + rank + ".log").toFile());
            }
            pb.environment().putAll(Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port),
                    "WORLD_SIZE", Integer.toString(world), "RANK", Integer.toString(rank), "OMP_NUM_THREADS",
                    Integer.toString(threads)));
            procs.add(pb.start());
        }
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(procs.get(0).getInputStream()))) {
            for (String line; (line = r.readLine()) != null;) {
                lines.add(line);
            }
        }
        for (Process p : procs) {
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("a worker failed (rank 0's output: " + lines + "; others in " + tmp + ")");
            }
        }
        return lines;
    }
}
