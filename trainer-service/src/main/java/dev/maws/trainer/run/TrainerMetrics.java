package dev.maws.trainer.run;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Prometheus view of the running job (one job per trainer): loss, learning rate, images/s,
 * data-wait fraction, and counters of steps and of records the data path skipped, by reason.
 */
@Singleton
public class TrainerMetrics {
    private final AtomicLong loss = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    private final AtomicLong lr = new AtomicLong();
    private final AtomicLong imagesPerSecond = new AtomicLong();
    private final AtomicLong dataWait = new AtomicLong();
    private final Counter steps;
    private final Counter badImages;
    private final Counter badRecords;
    private final Counter unlabelled;
    private final Counter deleted;
    private final Counter duplicates;

    TrainerMetrics(MeterRegistry registry) {
        Gauge.builder("maws.trainer.loss", () -> get(loss)).description("training loss of the latest step").register(registry);
        Gauge.builder("maws.trainer.learning.rate", () -> get(lr)).description("learning rate of the latest step")
                .register(registry);
        Gauge.builder("maws.trainer.images.per.second", () -> get(imagesPerSecond))
                .description("training throughput over the last progress interval").register(registry);
        Gauge.builder("maws.trainer.data.wait.fraction", () -> get(dataWait))
                .description("share of the last progress interval the step waited for data").register(registry);
        steps = Counter.builder("maws.trainer.steps").description("optimizer steps done").register(registry);
        badImages = skipped(registry, "bad_image");
        badRecords = skipped(registry, "bad_record");
        unlabelled = skipped(registry, "unlabelled");
        deleted = skipped(registry, "deleted");
        duplicates = skipped(registry, "duplicate");
    }

    private static Counter skipped(MeterRegistry registry, String reason) {
        return Counter.builder("maws.trainer.skipped.records").tag("reason", reason)
                .description("records the data path skipped").register(registry);
    }

    void step(double lossValue, double learningRate) {
        set(loss, lossValue);
        set(lr, learningRate);
        steps.increment();
    }

    void interval(double imagesPerSec, double waitFraction) {
        set(imagesPerSecond, imagesPerSec);
        set(dataWait, waitFraction);
    }

    void skipped(long images, long records, long unlabelledRecords, long tombstones, long superseded) {
        badImages.increment(images);
        badRecords.increment(records);
        unlabelled.increment(unlabelledRecords);
        deleted.increment(tombstones);
        duplicates.increment(superseded);
    }

    private static double get(AtomicLong bits) {
        return Double.longBitsToDouble(bits.get());
    }

    private static void set(AtomicLong bits, double v) {
        bits.set(Double.doubleToLongBits(v));
    }
}
