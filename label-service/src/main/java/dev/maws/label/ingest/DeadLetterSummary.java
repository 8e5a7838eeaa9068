package dev.maws.label.ingest;

import java.util.function.LongSupplier;

/**
 * Counts dead-lettered records and reports them at most once per interval: the first one at once,
 * then, with the first record after the interval has passed, how many came since the last report and
 * the latest reason. (Records of a burst are reported with the next one after it. The metric
 * {@code maws_captions_rejected_total} counts them too, once their batch is acknowledged by the
 * broker; this summary when they are handed to the producer.) Thread-safe.
 */
final class DeadLetterSummary {
    interface Report {
        void report(long count, String latestReason);
    }

    private final long intervalNanos;
    private final LongSupplier clock;
    private final Report report;
    private long count;
    private long lastReport;
    private boolean reported;

    DeadLetterSummary(long intervalNanos, LongSupplier clock, Report report) {
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.report = report;
    }

    void record(String reason) {
        long reportCount;
        synchronized (this) {
            count++;
            long now = clock.getAsLong();
            if (reported && now - lastReport < intervalNanos) {
                return;
            }
            reportCount = count;
            count = 0;
            lastReport = now;
            reported = true;
        }
        report.report(reportCount, reason);
    }
}
