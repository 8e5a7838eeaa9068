package dev.maws.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Where this process's CPU goes while a benchmark phase runs: CPU time of every thread, Java and
 * native alike (PyTorch's OpenMP threads are not Java threads, so {@code ThreadMXBean} cannot see
 * them), read from {@code /proc/self/task} and grouped by thread name, plus, as one part, the
 * threads of a helper process (the devstack when it runs in a process of its own). Linux only;
 * elsewhere every share is NaN.
 */
final class ThreadCpu {
    /** What a thread does, by its name (the kernel keeps the first 15 characters). */
    enum Part {
        /** the main thread and the OpenMP threads it started: both inherit the launcher's name "java" */
        STEP("cores: step"),
        S3_SERVER("cores: S3 server"),
        /** the trainer's fetch and batch threads and the S3 client's (OkHttp) threads */
        DATA_PATH("cores: data path"),
        JIT("cores: JIT"),
        GC("cores: GC"),
        /** the in-process Kafka broker, and anything else */
        OTHER("cores: broker+other"),
        /** every thread of the helper process */
        HELPER_PROCESS("cores: devstack process");

        final String column;

        Part(String column) {
            this.column = column;
        }

        static Part of(String name) {
            if (name.equals("java")) {
                return STEP;
            }
            if (name.startsWith("S3Proxy")) {
                return S3_SERVER;
            }
            if (name.startsWith("maws-fetch") || name.startsWith("maws-data") || name.startsWith("OkHttp")
                    || name.startsWith("Okio")) {
                return DATA_PATH;
            }
            if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                return JIT;
            }
            if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")) {
                return GC; // the VM thread runs the safepoints, most of them for the collector
            }
            return OTHER;
        }
    }

    private static final double TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on

    private final Map<String, Long> ticksByThread;
    private final Map<String, Part> partByThread;
    private final long at;

    private ThreadCpu(Map<String, Long> ticksByThread, Map<String, Part> partByThread, long at) {
        this.ticksByThread = ticksByThread;
        this.partByThread = partByThread;
        this.at = at;
    }

    /** CPU ticks of every live thread of this process and of {@code helper} (null: none) now. */
    static ThreadCpu now(Process helper) {
        Map<String, Long> ticks = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        read(Path.of("/proc/self/task"), "self/", ticks, names);
        Map<String, Part> parts = new HashMap<>();
        names.forEach((tid, name) -> parts.put(tid, Part.of(name)));
        if (helper != null) {
            read(Path.of("/proc", String.valueOf(helper.pid()), "task"), helper.pid() + "/", ticks, names);
            names.keySet().forEach(tid -> parts.putIfAbsent(tid, Part.HELPER_PROCESS));
        }
        return new ThreadCpu(ticks, parts, System.nanoTime());
    }

    /**
     * CPU seconds the threads of process {@code pid} used between two calls, summed by a group named
     * from each thread's name; threads started in between count from 0, threads ended in between are
     * missing (so the groups may add up to less than the process's CPU). Linux only (elsewhere empty).
     */
    static final class OtherProcess {
        private final Map<String, Long> ticks = new HashMap<>();
        private final Map<String, String> names = new HashMap<>();

        OtherProcess(long pid) {
            read(Path.of("/proc", String.valueOf(pid), "task"), "", ticks, names);
        }

        Map<String, Double> secondsSince(OtherProcess earlier, Function<String, String> group) {
            Map<String, Double> seconds = new TreeMap<>();
            ticks.forEach((tid, t) -> seconds.merge(group.apply(names.get(tid)),
                    (t - earlier.ticks.getOrDefault(tid, 0L)) / TICKS_PER_SECOND, Double::sum));
            return seconds;
        }
    }

    /** Adds the threads under {@code taskDir}, keyed {@code prefix + tid}: their CPU ticks and names. */
    private static void read(Path taskDir, String prefix, Map<String, Long> ticks, Map<String, String> names) {
        if (Files.isDirectory(taskDir)) {
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(taskDir)) {
                for (Path task : tasks) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"));
                    } catch (IOException e) {
                        continue; // the thread ended
                    }
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = fieldsAfterName(stat);
                    String tid = prefix + task.getFileName();
                    ticks.put(tid, Long.parseLong(fields[11]) + Long.parseLong(fields[12])); // utime + stime
                    names.put(tid, name);
                }
            } catch (IOException e) {
                // the process ended: its threads read 0
            }
        }
    }

    /**
     * The fields of a {@code /proc/.../stat} line after the name: "pid (name) state ppid ..." gives
     * {state, ppid, ...}. The name may hold spaces and parentheses, so the cut is at the last ')'.
     */
    static String[] fieldsAfterName(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /**
     * The cores each part used on average since {@code earlier} (threads started since count from
     * 0), as columns of a result row: one per part, in {@link Part} order.
     */
    Map<String, Object> columnsSince(ThreadCpu earlier) {
        Map<Part, Double> cores = new EnumMap<>(Part.class);
        double seconds = (at - earlier.at) / 1e9;
        for (Part p : Part.values()) {
            cores.put(p, ticksByThread.isEmpty() ? Double.NaN : 0.0);
        }
        ticksByThread.forEach((tid, ticks) -> {
            long used = ticks - earlier.ticksByThread.getOrDefault(tid, 0L);
            cores.merge(partByThread.get(tid), used / TICKS_PER_SECOND / seconds, Double::sum);
        });
        Map<String, Object> columns = new LinkedHashMap<>();
        cores.forEach((part, c) -> columns.put(part.column, c));
        return columns;
    }
}
