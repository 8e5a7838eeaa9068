package dev.maws.trainer;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code maws.trainer.*}: every property is listed with its default in the service README. */
@ConfigMapping(prefix = "maws.trainer")
public interface TrainerConfig {
    /** Bearer token that StartJob, CancelJob and ResumeJob require. Never logged. */
    String apiToken();

    /** The training set topic. */
    @WithDefault("labeled-images")
    String topic();

    /**
     * Device of a job whose spec names none: "cpu", "gpu" (every local GPU, one process each) or "gpu:N".
     * Absent: the engine's own device ({@code maws.djl.device}), so a trainer set to a GPU trains there by
     * default.
     */
    Optional<String> defaultDevice();

    /** How often a running job logs, publishes a progress event and saves its state. */
    @WithDefault("5s")
    Duration progressInterval();

    /** Jobs waiting behind the running one; StartJob beyond this answers RESOURCE_EXHAUSTED. */
    @WithDefault("100")
    int maxQueuedJobs();

    /** Queue jobs found RUNNING, QUEUED or INTERRUPTED in S3 at start-up (the trainer stopped while they ran). */
    @WithDefault("true")
    boolean resumeOnStart();

    /**
     * A job found RUNNING at start-up (the trainer was killed while it ran) more than this many
     * times without writing a checkpoint in between is marked FAILED rather than resumed again.
     */
    @WithDefault("3")
    int maxCrashRestarts();

    /** Gradient-norm clipping of every job (0 = none; MAE does not clip). */
    @WithDefault("0")
    double maxGradNorm();

    Data data();

    Limits limits();

    Gang gang();

    Worker worker();

    /** Jobs of several processes (data-parallel on c10d). */
    interface Gang {
        /**
         * How long a process waits for the others: at the rendezvous, and at each collective (rank 0
         * counts the epoch and writes checkpoints while the others wait in the next one). A process that
         * dies is noticed at once (its connections close); this bounds a hang.
         */
        @WithDefault("30m")
        Duration timeout();

        /** How long the processes of a job wait for each other to start and meet (JVM and engine start included). */
        @WithDefault("5m")
        Duration joinTimeout();
    }

    /**
     * Worker mode: this trainer runs one job as one process of its gang, then exits (0 when the job is
     * done); no job queue of its own. Its rank and world come from the launch environment that the
     * Kubernetes training operators set (Kubeflow Trainer v2 {@code PET_*}, PyTorchJob {@code MASTER_ADDR},
     * {@code MASTER_PORT}, {@code WORLD_SIZE}, {@code RANK}, and {@code LOCAL_RANK}).
     */
    interface Worker {
        /** The job to run ({@code MAWS_TRAINER_WORKER_JOB}); absent: a trainer service, not a worker. */
        Optional<String> job();

        /**
         * The job's JobSpec as proto JSON ({@code MAWS_TRAINER_WORKER_SPEC}); absent: the spec of the job's
         * record in S3 (the trainer that started the gang saved it).
         */
        Optional<String> spec();
    }

    /** The input pipeline. */
    interface Data {
        /** Threads fetching and decoding images. */
        @WithDefault("8")
        int fetchThreads();

        /** Batches prepared ahead of the training step. */
        @WithDefault("3")
        int prefetchBatches();

        /** Records shuffled together (a seeded reservoir); 1 keeps the topic order. */
        @WithDefault("10000")
        int shuffleBuffer();

        /**
         * When every record of an epoch names a sample of a stored shard ({@code shards/...tar#key}), each
         * process reads whole shards (disjoint ones: shards go to processes by size, in an order shuffled
         * per epoch), each with one streamed GET, joined by key with the records' labels; false reads each
         * image with its own GET, as for image objects. A run keeps the value it started with.
         */
        @WithDefault("true")
        boolean streamShards();

        /**
         * Streaming shards: the most of an epoch's samples that dealing whole shards to a job's processes
         * may leave over (each takes as many as the one dealt the fewest); beyond it the epoch is read record
         * by record. A run keeps the value it started with.
         */
        @WithDefault("0.1")
        double maxShardImbalance();

        /** Streaming shards: shards read at once by a process, their samples interleaved one by one. */
        @WithDefault("4")
        int shardsInFlight();

        /**
         * Streaming shards: encoded image bytes the shuffle buffer may hold (it holds fewer than
         * shuffle-buffer samples when they are larger): its memory, counted against the heap when a job is
         * accepted. 128 MB holds ~1,200 photographs of ~110 KB (224 px). A run keeps the value it started with.
         */
        @WithDefault("128")
        long shuffleBufferMb();

        /** Encoded image bytes kept in memory across epochs (LRU by size). */
        @WithDefault("256")
        long imageCacheMb();

        /** An image object larger than this is counted as bad. */
        @WithDefault("20971520")
        int maxImageBytes();

        /** An image of more pixels than this is counted as bad (decompression bombs). */
        @WithDefault("40000000")
        long maxImagePixels();

        /**
         * Most pixels decoded at once by all fetch threads together (a decode holds ~19 bytes a pixel): a
         * large image waits for room rather than eight of them filling the heap. At least max-image-pixels.
         */
        @WithDefault("40000000")
        long decodePixelBudget();

        /**
         * The step plan counts the first epoch's records (its offsets less compaction holes and
         * tombstones): all of them up to this many offsets, beyond it this many read in 64 windows
         * spread over the topic, and the rest estimated from them. Only with skip-superseded off: with it,
         * the first epoch's key scan counts exactly.
         */
        @WithDefault("1000000")
        long planCountBudget();

        /**
         * Each epoch first reads its keys and skips the records that a later record of the same key in
         * its range supersedes (a compacted topic's uncompacted head; a restarted label-service's
         * repeats): each image once an epoch. Costs one extra read of the range an epoch. A run keeps
         * the value it started with.
         */
        @WithDefault("true")
        boolean skipSuperseded();

        /** A job fails once more than this fraction of its images could not be read ... */
        @WithDefault("0.05")
        double maxBadImageFraction();

        /** ... counted after at least this many images. */
        @WithDefault("200")
        int badImageGrace();
    }

    /** Bounds on what a JobSpec may ask for. */
    interface Limits {
        @WithDefault("65536")
        int maxBatchSize();

        @WithDefault("10000")
        double maxEpochs();

        @WithDefault("200")
        int maxDisplayNameLength();

        /** A job's {@code processes} (its world size: workers training it together). */
        @WithDefault("64")
        int maxProcesses();
    }
}
