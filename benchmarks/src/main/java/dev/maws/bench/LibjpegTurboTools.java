package dev.maws.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * libjpeg-turbo's own programs (Debian's {@code libjpeg-turbo-progs}) decoding the same files, the
 * reference of {@code ./bench data}.
 *
 * <p>{@link #djpegCpuSeconds}: djpeg takes one file per process, so each file costs a process start
 * (~3-8 ms of CPU here) besides its decode (~1 ms). The start is measured and taken off: the photos
 * and, interleaved with them in chunks of 8, as many runs on an 8x8 JPEG, each chunk under one
 * {@code bash} whose {@code times} gives its children's CPU time (user + system). Decode CPU = photo
 * chunks - 8x8 chunks. CPU time, not wall time, because other work on the machine delays a process
 * without making its decode cost more. The start cost varies by a few percent from run to run, which
 * is several percent of the decode: hence several passes over the set per measurement.
 *
 * <p>{@link #tjbenchSeconds}: the same library decoding each file in a loop inside one process
 * (tjbench's own timer, wall clock, no process start in it): a cross-check of the subtraction.
 */
final class LibjpegTurboTools {
    static final String INSTALL_HINT = "apt-get install libjpeg-turbo-progs (Debian)";
    private static final int CHUNK = 8;
    private static final Pattern TIMES = Pattern.compile("(\\d+)m([\\d.]+)s\\s+(\\d+)m([\\d.]+)s");
    private static final Pattern FPS = Pattern.compile("Decompress\\s+--> Frame rate:\\s+([\\d.]+) fps");

    /** CPU seconds of djpeg decoding all {@code files} {@code passes} times: with its process starts, and without them. */
    record DjpegCpu(double withStarts, double decode, double startMs) {}

    private LibjpegTurboTools() {}

    /** Fails with what to install when djpeg or tjbench is not on the PATH. */
    static void check() throws IOException, InterruptedException {
        for (String tool : List.of("djpeg", "tjbench")) {
            Process p = new ProcessBuilder("bash", "-c", "command -v " + tool).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(tool + " not found: " + INSTALL_HINT);
            }
        }
    }

    static DjpegCpu djpegCpuSeconds(List<Path> files, Path tinyJpeg, int passes) throws IOException, InterruptedException {
        double photos = 0;
        double tiny = 0;
        for (int pass = 0; pass < passes; pass++) {
            for (int from = 0; from < files.size(); from += CHUNK) {
                List<Path> chunk = files.subList(from, Math.min(files.size(), from + CHUNK));
                photos += childCpu(chunk);
                tiny += childCpu(java.util.Collections.nCopies(chunk.size(), tinyJpeg));
            }
        }
        return new DjpegCpu(photos, photos - tiny, tiny / files.size() / passes * 1000);
    }

    /** Children's CPU seconds of one bash running {@code djpeg -outfile /dev/null FILE} for each file. */
    private static double childCpu(List<Path> files) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c",
                "for f in \"$@\"; do djpeg -outfile /dev/null \"$f\" || exit 1; done; times", "djpeg-loop"));
        files.forEach(f -> cmd.add(f.toString()));
        String out = run(cmd);
        String[] lines = out.strip().split("\n");
        Matcher m = TIMES.matcher(lines[lines.length - 1]); // the second line of `times`: the children
        if (!m.find()) {
            throw new IllegalStateException("no CPU times in djpeg loop output: " + out);
        }
        return Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2))
                + Integer.parseInt(m.group(3)) * 60 + Double.parseDouble(m.group(4));
    }

    /** Seconds tjbench reports for decoding each file once, summed over the files (1 / its frame rate each). */
    static double tjbenchSeconds(List<Path> files, double benchSeconds) throws IOException, InterruptedException {
        double seconds = 0;
        for (Path f : files) {
            String out = run(List.of("tjbench", f.toString(), "-benchtime", String.valueOf(benchSeconds), "-warmup",
                    String.valueOf(benchSeconds / 2), "-nowrite"));
            Matcher m = FPS.matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("no frame rate in tjbench output for " + f + ": " + out);
            }
            seconds += 1 / Double.parseDouble(m.group(1));
        }
        return seconds;
    }

    /** An 8x8 JPEG: a djpeg run on it is a process start and next to no decode. */
    static Path tinyJpeg(Path dir) throws IOException {
        Path file = dir.resolve("start-cost-8x8.jpg");
        PhotoSet.writeJpeg(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB), 0.9f, file);
        return file;
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))) + " failed: " + out);
        }
        return out;
    }
}
