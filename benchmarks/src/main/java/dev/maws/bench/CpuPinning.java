package dev.maws.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU affinity through util-linux's {@code taskset} (Linux only), for the benchmarks' {@code --pin}
 * options: they put the devstack (the broker and S3 server a cluster runs on machines of their
 * own) on some cores and the service under test on the others, so that the two do not take turns
 * on the same cores as they must on a small machine. A thread that Linux starts inherits the
 * affinity of the thread that starts it, so pinning every thread of a process pins its later
 * threads too.
 */
final class CpuPinning {
    private CpuPinning() {}

    /** Both sides of a {@code --pin A/B} option, each a taskset CPU list ("0", "1-3", "0,2"). */
    record Split(String devstack, String service) {
        static Split parse(String option, String value) {
            String[] parts = value.split("/", -1);
            String list = "[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*";
            if (parts.length != 2 || !parts[0].matches(list) || !parts[1].matches(list)) {
                throw new IllegalArgumentException(option + " takes DEVSTACK_CPUS/SERVICE_CPUS as taskset lists, e.g. 0/1, got "
                        + value);
            }
            return new Split(parts[0], parts[1]);
        }

        @Override
        public String toString() {
            return "devstack on CPUs " + devstack + ", service on CPUs " + service;
        }
    }

    /**
     * The JVM option that sizes a child JVM (GC, compiler and pool threads) for {@code cpus} ("1-3,5":
     * 4 CPUs): a child starts on its parent's CPUs and is moved once it is up.
     */
    static String activeProcessorCount(String cpus) {
        int n = 0;
        for (String part : cpus.split(",")) {
            String[] range = part.split("-");
            n += range.length == 1 ? 1 : Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        }
        return "-XX:ActiveProcessorCount=" + n;
    }

    /** Every thread of process {@code pid}, and so the threads they start later, onto {@code cpus}. */
    static void pinProcess(long pid, String cpus) {
        taskset(List.of("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)));
    }

    /** The calling thread, and so the threads it starts later, onto {@code cpus}. */
    static void pinCurrentThread(String cpus) {
        try {
            // "/proc/thread-self" -> "PID/task/TID": the kernel's id of this thread, which Java 17 does not give
            String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
            taskset(List.of("taskset", "-p", "-c", cpus, tid));
        } catch (IOException e) {
            throw new IllegalStateException("pinning a thread needs Linux's /proc/thread-self", e);
        }
    }

    private static void taskset(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.trim());
            }
        } catch (IOException e) {
            throw new IllegalStateException("--pin needs util-linux's taskset on the PATH: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running taskset", e);
        }
    }
}
