package dev.maws.e2e;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress bars on the console: redrawn in place on a terminal; on a pipe or a CI log, one line at
 * every 10 % instead, so logs stay readable.
 */
final class Progress {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final long t0 = System.nanoTime();
    /** A bar is drawn in place on the terminal's current line (no newline after it yet). */
    private boolean barOpen;

    Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static Progress console() {
        return new Progress(System.out, System.console() != null);
    }

    /** A line of its own, with the time since the run started. */
    synchronized void say(String message) {
        if (barOpen) { // the bar keeps its line; the message takes the next one instead of being glued to it
            out.println();
            barOpen = false;
        }
        out.printf("%s %s%n", clock(), message);
    }

    Bar bar(String name, long total) {
        return new Bar(name, total);
    }

    private String clock() {
        long s = (System.nanoTime() - t0) / 1_000_000_000L;
        return String.format("[%02d:%02d]", s / 60, s % 60);
    }

    /** One task's bar. */
    final class Bar {
        private final String name;
        private volatile long total;
        private final AtomicLong done = new AtomicLong();
        private int lastDecile = -1;
        private String detail = "";

        private Bar(String name, long total) {
            this.name = name;
            this.total = Math.max(1, total);
        }

        void step(long n) {
            show(done.addAndGet(n), detail);
        }

        /** Absolute progress with a detail (e.g. "step 120/400 loss 2.31"). */
        void set(long value, long newTotal, String newDetail) {
            total = Math.max(1, newTotal);
            done.set(value);
            show(value, newDetail);
        }

        void done(String summary) {
            synchronized (Progress.this) {
                if (terminal) {
                    out.print("\r\033[K");
                    barOpen = false;
                }
                out.printf("%s %-10s done: %s%n", clock(), name, summary);
            }
        }

        private void show(long value, String newDetail) {
            synchronized (Progress.this) {
                detail = newDetail == null ? "" : newDetail;
                double f = Math.min(1.0, value / (double) total);
                int filled = (int) Math.round(f * WIDTH);
                String line = String.format("%s %-10s [%s%s] %3d%% %s", clock(), name, "#".repeat(filled),
                        ".".repeat(WIDTH - filled), Math.round(f * 100), detail);
                if (terminal) {
                    out.print("\r\033[K" + line);
                    out.flush();
                    barOpen = true;
                } else {
                    int decile = (int) (f * 10);
                    if (decile > lastDecile) {
                        lastDecile = decile;
                        out.println(line);
                    }
                }
            }
        }
    }
}
