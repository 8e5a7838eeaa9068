package dev.maws.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How busy each CPU of the machine was over some intervals, from the kernel's counters in
 * {@code /proc/stat} (Linux only): with {@code --pin}, whether the broker's cores or the service's
 * were the full ones during a kind of row. Busy is everything but idle and I/O wait; steal is time
 * the hypervisor gave to another guest while this one had work, which counts as busy here and is
 * also reported on its own (a shared host's slow rows show up there).
 */
final class CpuBusy {
    // /proc/stat columns after the name: user nice system idle iowait irq softirq steal guest guest_nice;
    // guest time is already counted in user and nice, so a CPU's time is the first eight
    private static final int IDLE = 3;
    private static final int IOWAIT = 4;
    private static final int STEAL = 7;
    private static final int COLUMNS = 8;

    // per CPU number: {busy, steal, all} summed over the intervals
    private final SortedMap<Integer, long[]> totals = new TreeMap<>();
    private SortedMap<Integer, long[]> start;
    private boolean known = true;

    /** Starts an interval. */
    void start() {
        start = read();
    }

    /** Ends the interval started last and adds it to the sums. */
    void stop() {
        SortedMap<Integer, long[]> end = read();
        if (start == null || end == null || !start.keySet().equals(end.keySet())) { // a CPU went on- or offline
            known = false;
            return;
        }
        end.forEach((cpu, b) -> {
            long[] a = start.get(cpu);
            long all = 0;
            for (int i = 0; i < COLUMNS; i++) {
                all += b[i] - a[i];
            }
            // iowait may run backwards on some kernels
            long idle = Math.max(0, b[IDLE] - a[IDLE]) + Math.max(0, b[IOWAIT] - a[IOWAIT]);
            long[] sum = totals.computeIfAbsent(cpu, c -> new long[3]);
            sum[0] += Math.max(0, all - idle);
            sum[1] += b[STEAL] - a[STEAL];
            sum[2] += all;
        });
    }

    /** The CPU numbers counted (as in "cpuN" and taskset lists); none when /proc/stat could not be read. */
    Set<Integer> cpus() {
        return known ? totals.keySet() : Set.of();
    }

    /** Fraction of CPU {@code cpu}'s time over all intervals that it was busy (steal included). */
    double busy(int cpu) {
        long[] sum = totals.get(cpu);
        return sum[2] == 0 ? 0 : sum[0] / (double) sum[2];
    }

    /** Fraction of CPU {@code cpu}'s time over all intervals that the hypervisor took. */
    double steal(int cpu) {
        long[] sum = totals.get(cpu);
        return sum[2] == 0 ? 0 : sum[1] / (double) sum[2];
    }

    /** The first eight counters of each "cpuN" line by N, or null when there is no /proc/stat. */
    private static SortedMap<Integer, long[]> read() {
        try {
            SortedMap<Integer, long[]> cpus = new TreeMap<>();
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                    String[] f = line.trim().split("\\s+");
                    long[] v = new long[COLUMNS]; // kernels before 2.6.11 had fewer columns: those stay 0
                    for (int i = 1; i < f.length && i <= COLUMNS; i++) {
                        v[i - 1] = Long.parseLong(f[i]);
                    }
                    cpus.put(Integer.parseInt(f[0].substring(3)), v);
                }
            }
            return cpus;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
