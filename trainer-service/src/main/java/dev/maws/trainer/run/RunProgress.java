package dev.maws.trainer.run;

import java.time.Duration;

import org.jboss.logging.Logger;

import dev.maws.proto.v1.Job;
import dev.maws.trainer.data.DataPosition;

/**
 * A running job's throughput, data wait and ETA over progress intervals, and its skip counters as
 * metrics; logs at most once an interval (as {@link TrainingRun}).
 */
final class RunProgress {
    private static final Logger LOG = Logger.getLogger(TrainingRun.class);

    private final TrainingRuns deps;
    private final long totalSteps;
    private final Duration interval;
    private long intervalStart = System.nanoTime();
    private long intervalImages;
    private long intervalWait;
    private long intervalSteps;
    private DataPosition.Counters reported;

    RunProgress(TrainingRuns deps, long totalSteps, DataPosition.Counters counters) {
        this.deps = deps;
        this.interval = deps.config().progressInterval();
        this.totalSteps = totalSteps;
        this.reported = counters;
    }

    void step(int images, long waitedNanos, DataPosition.Counters counters) {
        intervalImages += images;
        intervalWait += waitedNanos;
        intervalSteps++;
        deps.metrics().skipped(counters.badImages() - reported.badImages(), counters.badRecords() - reported.badRecords(),
                counters.unlabelled() - reported.unlabelled(), counters.deleted() - reported.deleted(),
                counters.duplicates() - reported.duplicates());
        reported = counters;
    }

    boolean due() {
        return System.nanoTime() - intervalStart >= interval.toNanos();
    }

    /** Closes the interval; returns images/s over it. */
    double report(Job job) {
        double seconds = Math.max(1e-9, (System.nanoTime() - intervalStart) / 1e9);
        double imagesPerSecond = intervalImages / seconds;
        double wait = intervalWait / 1e9 / seconds;
        deps.metrics().interval(imagesPerSecond, wait);
        double stepsPerSecond = intervalSteps / seconds;
        long eta = stepsPerSecond > 0 ? Math.round((totalSteps - job.getStep()) / stepsPerSecond) : -1;
        LOG.infof("%s: step %d/%d epoch %.3f loss %.4f lr %.2e %.1f img/s data-wait %.0f%% ETA %s (bad images %d, "
                + "unlabelled %d)", job.getId(), job.getStep(), totalSteps, job.getEpoch(), job.getLoss(),
                job.getLearningRate(), imagesPerSecond, wait * 100, eta < 0 ? "?" : Duration.ofSeconds(eta),
                reported.badImages(), reported.unlabelled());
        intervalStart = System.nanoTime();
        intervalImages = 0;
        intervalWait = 0;
        intervalSteps = 0;
        return imagesPerSecond;
    }

    String message(Job job) {
        return String.format("step %d of %d, epoch %.3f, loss %.4f", job.getStep(), totalSteps, job.getEpoch(),
                job.getLoss());
    }
}
