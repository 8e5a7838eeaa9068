package dev.maws.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How busy each CPU of the machine was over some intervals, from the kernel's counters in
 * {@code /proc/stat} (Linux only): with {@code --pin}, whether the broker's cores or the service's
 * were the full ones during a kind of row. Busy is everything but idle and I/O wait; steal is time
 * the hypervisor gave to another guest while this one had work, which counts as busy here and is
 * also reported on its own (a shared host's slow rows show up there).
 */
final class CpuBusy {
    // /proc/stat columns after the name: user nice system idle iowait irq softirq steal ...
    private static final int IDLE = 3;
    private static final int IOWAIT = 4;
    private static final int STEAL = 7;

    private final List<long[]> totals = new ArrayList<>(); // per CPU: {busy, steal, all} summed over the intervals
    private List<long[]> start;
    private boolean known = true;

    /** Starts an interval. */
    void start() {
        start = read();
    }

    /** Ends the interval started last and adds it to the sums. */
    void stop() {
        List<long[]> end = read();
        if (start == null || end == null || start.size() != end.size()) {
            known = false;
            return;
        }
        for (int cpu = 0; cpu < end.size(); cpu++) {
            long[] a = start.get(cpu);
            long[] b = end.get(cpu);
            long all = 0;
            for (int i = 0; i < b.length; i++) {
                all += b[i] - a[i];
            }
            long idle = b[IDLE] - a[IDLE] + b[IOWAIT] - a[IOWAIT];
            if (totals.size() <= cpu) {
                totals.add(new long[3]);
            }
            long[] sum = totals.get(cpu);
            sum[0] += all - idle;
            sum[1] += b.length > STEAL ? b[STEAL] - a[STEAL] : 0;
            sum[2] += all;
        }
    }

    /** CPUs counted, or 0 when /proc/stat could not be read. */
    int cpus() {
        return known ? totals.size() : 0;
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

    /** The counters of each "cpuN" line, or null when there is no /proc/stat. */
    private static List<long[]> read() {
        try {
            List<long[]> cpus = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                    String[] f = line.trim().split("\\s+");
                    long[] v = new long[f.length - 1];
                    for (int i = 1; i < f.length; i++) {
                        v[i - 1] = Long.parseLong(f[i]);
                    }
                    cpus.add(v);
                }
            }
            return cpus;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
