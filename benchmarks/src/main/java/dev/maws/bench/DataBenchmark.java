package dev.maws.bench;

import static dev.maws.bench.BenchReport.row;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import com.sun.management.OperatingSystemMXBean;

import dev.maws.trainer.data.Augmentation;

/**
 * {@code ./bench data}: the trainer's input path on real photographs. A set of ImageNet-like JPEGs
 * (500x375 and 375x500, quality 90, {@link PhotoSet}) is cut from the photographs of Debian's
 * {@code mate-backgrounds} and {@code plasma-workspace-wallpapers}; each image goes through
 * {@link Augmentation#apply} as the trainer calls it: decode, RandomResizedCrop (scale 0.08-1, WSP's
 * and the wider of the two), flip, normalise, at 224 px. Measured in images per CPU-second of this
 * process on one thread (per core: JIT and GC threads count against it), and in images per second
 * with a thread per core. The reference is libjpeg-turbo's {@code djpeg} decoding the same files in
 * the same run, its process starts taken off ({@link LibjpegTurboTools}, {@code --djpeg-passes} passes
 * over the set per round); the two alternate, round by round, so that both see the same machine, and
 * the ratio is the median of the rounds' ratios.
 *
 * <p>Then, unless {@code --no-candidates}, the decoders that were considered, each on one thread:
 * decode alone (ImageIO, TwelveMonkeys, OpenCV, Leptonica) and whole paths (OpenCV's decode + resize,
 * and the ImageIO path that the trainer had before). Goals (issue 28): per core >= 250 images/s,
 * >= 0.7 of djpeg. Needs {@code libjpeg-turbo-progs} and the photographs' packages; installs nothing.
 */
final class DataBenchmark implements BenchMain.Benchmark {
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** Images per CPU-second of the process and per wall-second, over one timed stretch. */
    record Rate(double perCpuSecond, double perSecond) {}

    @Override
    public void run(String[] args, Path outDir) throws Exception {
        Path photos = null;
        int perPhoto = 8;
        int size = 224;
        double minScale = 0.08;
        double seconds = 2;
        double warmUp = 3;
        int rounds = 5;
        int djpegPasses = 3;
        double tjbenchSeconds = 0.1;
        boolean candidates = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--photos" -> photos = Path.of(args[++i]);
                case "--per-photo" -> perPhoto = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--min-scale" -> minScale = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warm-up" -> warmUp = Double.parseDouble(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--tjbench-seconds" -> tjbenchSeconds = Double.parseDouble(args[++i]);
                case "--djpeg-passes" -> djpegPasses = Integer.parseInt(args[++i]);
                case "--no-candidates" -> candidates = false;
                default -> throw new IllegalArgumentException("usage: ./bench data [--photos DIR] [--per-photo N] [--size PX] "
                        + "[--min-scale S] [--seconds S] [--warm-up S] [--rounds N] [--djpeg-passes N] [--tjbench-seconds S] "
                        + "[--no-candidates]");
            }
        }
        LibjpegTurboTools.check();
        List<Path> sources = PhotoSet.sources(photos);
        List<Path> files = PhotoSet.write(sources, perPhoto, 1, outDir.resolve("data-photos"));
        Path tiny = LibjpegTurboTools.tinyJpeg(outDir);
        List<byte[]> images = new ArrayList<>();
        long bytes = 0;
        for (Path f : files) {
            images.add(Files.readAllBytes(f));
            bytes += images.get(images.size() - 1).length;
        }
        int n = images.size();
        int cores = Runtime.getRuntime().availableProcessors();
        DecodeCandidates paths = new DecodeCandidates(images, size, new Augmentation(true, minScale, 1.0, true));
        String photoSet = String.format(Locale.ROOT, "photo set: %d JPEGs (500x375, 375x500, q90) from %d photographs, "
                + "%.1f KB mean, %.2f bits/pixel", n, sources.size(), bytes / 1024.0 / n,
                bytes * 8.0 / n / (PhotoSet.LONG_SIDE * PhotoSet.SHORT_SIDE));
        System.out.println(photoSet + ", in " + outDir.resolve("data-photos"));

        // the goal rows: the trainer's path on one thread and djpeg, alternating
        measure(i -> paths.chosen(i), 1, n, warmUp);
        List<Double> perCore = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        List<Double> djpeg = new ArrayList<>();
        List<Double> djpegGross = new ArrayList<>();
        List<Double> startMs = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            long seed = r * 1000L;
            Rate ours = measure(i -> paths.chosen(seed + i), 1, n, seconds);
            LibjpegTurboTools.DjpegCpu dj = LibjpegTurboTools.djpegCpuSeconds(files, tiny, djpegPasses);
            double decoded = (double) n * djpegPasses;
            perCore.add(ours.perCpuSecond());
            wall.add(ours.perSecond());
            djpeg.add(decoded / dj.decode());
            djpegGross.add(decoded / dj.withStarts());
            startMs.add(dj.startMs());
            ratios.add(ours.perCpuSecond() / (decoded / dj.decode()));
            System.out.printf(Locale.ROOT, "round %d: %.0f images/s per core, djpeg %.0f/s (%.2f ms a process start), ratio %.3f%n",
                    r + 1, ours.perCpuSecond(), decoded / dj.decode(), dj.startMs(), ratios.get(r));
        }
        List<Double> allPerSecond = new ArrayList<>();
        List<Double> allPerCpu = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            Rate all = measure(i -> paths.chosen(-1 - i), cores, n, seconds);
            allPerSecond.add(all.perSecond());
            allPerCpu.add(all.perCpuSecond());
        }
        double tjbench = n / LibjpegTurboTools.tjbenchSeconds(files, tjbenchSeconds);

        BenchReport report = new BenchReport("data", "cpu");
        report.result(line(photoSet, 0, Double.NaN, Double.NaN, 0));
        report.result(line("Augmentation.apply: ImageDecoder.decodeCrop (Leptonica), crop, flip, normalise", 1,
                median(perCore), median(wall), rounds));
        report.result(line("the same, a thread per core", cores, median(allPerCpu), median(allPerSecond), rounds));
        report.result(line("djpeg -outfile /dev/null, process start taken off (" + String.format(Locale.ROOT, "%.2f",
                median(startMs)) + " ms CPU)", 1, median(djpeg), Double.NaN, rounds));
        report.result(line("djpeg, process start included", 1, median(djpegGross), Double.NaN, rounds));
        report.result(line("tjbench (libjpeg-turbo in one process, its own wall-clock timer)", 1, Double.NaN, tjbench, 1));
        if (candidates) {
            addCandidates(report, paths, n, warmUp, seconds, rounds);
        }
        report.goal(BenchReport.Goal.atLeast("decode+crop+flip+normalise at " + size + " px, images/s per core",
                median(perCore), 250));
        report.goal(BenchReport.Goal.atLeast("the same / djpeg's decode of the same files (median of rounds)",
                median(ratios), 0.7));
        report.write(outDir);
    }

    private static void addCandidates(BenchReport report, DecodeCandidates paths, int n, double warmUp, double seconds,
            int rounds) throws Exception {
        record Candidate(String name, IntFunction<DecodeCandidates.Op> op) {}
        List<Candidate> list = List.of(
                new Candidate("decode only: Leptonica pixReadMemJpeg (libjpeg-turbo 3.0, bundled)", i -> paths.leptonicaDecode()),
                new Candidate("decode only: ImageIO, the JDK's reader", i -> paths.imageIoDecode()),
                new Candidate("decode only: TwelveMonkeys imageio-jpeg", i -> paths.twelveMonkeysDecode()),
                new Candidate("decode only: OpenCV imdecode (bytedeco opencv)", i -> paths.openCvDecode()),
                new Candidate("decode+crop+flip+normalise: OpenCV imdecode, resize, flip", paths::openCvCropResize),
                new Candidate("decode+crop+flip+normalise: ImageIO, float image, Pixels.cropResize (before)",
                        paths::imageIoFloatsCropResize));
        for (Candidate c : list) {
            measure(c.op(), 1, n, warmUp);
            List<Double> cpu = new ArrayList<>();
            List<Double> wall = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                Rate rate = measure(c.op(), 1, n, seconds);
                cpu.add(rate.perCpuSecond());
                wall.add(rate.perSecond());
            }
            report.result(line(c.name(), 1, median(cpu), median(wall), rounds));
        }
    }

    /** Runs {@code threads} ops (op {@code t} made by {@code ops.apply(t)}) over the images for {@code seconds}. */
    static Rate measure(IntFunction<DecodeCandidates.Op> ops, int threads, int n, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<DecodeCandidates.Op> made = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                made.add(ops.apply(t));
            }
            long cpu0 = OS.getProcessCpuTime();
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                DecodeCandidates.Op op = made.get(t);
                int first = t * n / threads;
                done.add(pool.submit(() -> {
                    int k = 0;
                    while (System.nanoTime() < end) {
                        op.run((first + k) % n);
                        k++;
                    }
                    return k;
                }));
            }
            long count = 0;
            for (Future<Integer> f : done) {
                count += f.get();
            }
            double wallSeconds = (System.nanoTime() - t0) / 1e9;
            double cpuSeconds = (OS.getProcessCpuTime() - cpu0) / 1e9;
            return new Rate(count / cpuSeconds, count / wallSeconds);
        } finally {
            pool.shutdownNow();
        }
    }

    private static java.util.Map<String, Object> line(String what, int threads, double perCpu, double perSecond, int rounds) {
        return row("measurement", what, "threads", threads, "images/s per CPU-second", blankIfNaN(perCpu),
                "images/s (wall)", blankIfNaN(perSecond), "rounds", rounds);
    }

    private static Object blankIfNaN(double v) {
        return Double.isNaN(v) ? "" : (Object) v;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int m = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
    }
}
