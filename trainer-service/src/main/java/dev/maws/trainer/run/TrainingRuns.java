package dev.maws.trainer.run;

import java.util.function.BooleanSupplier;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.maws.model.runtime.DjlRuntime;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.tensor.TensorEngine;
import dev.maws.proto.v1.AugmentationConfig;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobSpec;
import dev.maws.trainer.TrainerConfig;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.trainer.data.Augmentation;
import dev.maws.trainer.data.BatchPipeline;
import dev.maws.trainer.data.ImageSource;
import dev.maws.trainer.job.JobSpecs;

/** Runs jobs: what every {@link TrainingRun} shares (engine, stores, image cache, metrics). */
@Singleton
public class TrainingRuns {
    /** Hears about a running job's progress, checkpoints and state changes. */
    public interface Listener {
        void update(Job job, String kind, String message);
    }

    private final TrainerConfig config;
    private final TensorEngine engine;
    private final ObjectStore store;
    private final CheckpointCatalog checkpoints;
    private final TrainerMetrics metrics;
    private final String bootstrapServers;
    private final ImageSource images;
    private final ImageDecoder decoder;

    TrainingRuns(TrainerConfig config, TensorEngine engine, ObjectStore store, CheckpointCatalog checkpoints,
            TrainerMetrics metrics, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.engine = engine;
        this.store = store;
        this.checkpoints = checkpoints;
        this.metrics = metrics;
        this.bootstrapServers = bootstrapServers;
        this.images = new ImageSource(store, config.data().maxImageBytes(), config.data().imageCacheMb() << 20);
        this.decoder = new ImageDecoder(config.data().maxImagePixels(), "maws.trainer.data.max-image-pixels",
                config.data().decodePixelBudget());
        if (config.data().planCountBudget() < BatchPipeline.MIN_PLAN_COUNT_BUDGET) {
            throw new IllegalStateException("maws.trainer.data.plan-count-budget=" + config.data().planCountBudget()
                    + " is below " + BatchPipeline.MIN_PLAN_COUNT_BUDGET + " (one offset for each window of a sampled count)");
        }
    }

    /**
     * Trains {@code job} to its end (returned with state SUCCEEDED) or until {@code cancelled}
     * (CANCELLED); a failure is thrown with the reason as its message.
     */
    public Job run(Job job, JobSpecs.Accepted accepted, BooleanSupplier cancelled, Listener listener) throws Exception {
        return run(job, accepted, cancelled, listener, null);
    }

    /**
     * The same as one process of a job of several: {@code gang} is this process's place in it (null: the
     * job's only process). Rank 0 writes the checkpoints and metrics and reports to {@code listener}.
     */
    public Job run(Job job, JobSpecs.Accepted accepted, BooleanSupplier cancelled, Listener listener, Gang gang)
            throws Exception {
        return new TrainingRun(this, job, accepted, cancelled, listener, gang).run();
    }

    /** {@code run}: the settings as the run began (see {@link TrainingRun.RunSettings}). */
    BatchPipeline.Settings pipelineSettings(String jobId, JobSpec spec, VitConfig model, TrainingRun.RunSettings run,
            BatchPipeline.Partition partition) {
        AugmentationConfig a = spec.getAugmentation();
        Augmentation augmentation = new Augmentation(a.getRandomResizedCrop(), a.getMinScale(), a.getMaxScale(),
                a.getHorizontalFlip());
        TrainerConfig.Data d = config.data();
        String group = "maws-trainer-" + jobId + (partition.world() > 1 ? "-rank-" + partition.rank() : "");
        return new BatchPipeline.Settings(bootstrapServers, run.topic(), group, spec.getBatchSize() / partition.world(),
                model.imageSize(), model.channels(), augmentation, spec.getSeed(), d.fetchThreads(), d.prefetchBatches(),
                run.shuffleBuffer(), d.maxBadImageFraction(), d.badImageGrace(), run.skipSuperseded(), partition,
                run.streamShards(), run.shardsInFlight(), run.shuffleBufferMb() << 20, run.maxShardImbalance());
    }

    DjlRuntime runtime() {
        return engine.runtime();
    }

    TrainerConfig config() {
        return config;
    }

    ObjectStore store() {
        return store;
    }

    CheckpointCatalog checkpoints() {
        return checkpoints;
    }

    TrainerMetrics metrics() {
        return metrics;
    }

    ImageSource images() {
        return images;
    }

    ImageDecoder decoder() {
        return decoder;
    }
}
