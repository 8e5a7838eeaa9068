package dev.maws.inference;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code maws.inference.*}: every property is listed with its default in the service README. */
@ConfigMapping(prefix = "maws.inference")
public interface InferenceConfig {
    /** Checkpoint served when a request names none ("{job}/step-{n}" or "{job}/latest"); readiness waits for it. */
    Optional<String> defaultModel();

    /**
     * How often a default model that could not be loaded (not written yet, S3 down) is tried again;
     * readiness stays DOWN, with the last reason, until it loads.
     */
    @WithDefault("10s")
    Duration defaultModelRetry();

    /** Checkpoints held in memory; loading one more evicts the least recently used. */
    @WithDefault("2")
    int maxLoadedModels();

    /** How long "{job}/latest" keeps meaning the same step before S3 is asked again (hot switch). */
    @WithDefault("10s")
    Duration latestRefresh();

    /** Images in one request. */
    @WithDefault("64")
    int maxImagesPerRequest();

    /** Encoded bytes of one image. */
    @WithDefault("10485760")
    int maxImageBytes();

    /** Pixels (width x height) of one image, checked before decoding. */
    @WithDefault("40000000")
    long maxImagePixels();

    /** Most images in one forward pass: requests for the same model are batched up to this. */
    @WithDefault("32")
    int maxBatchSize();

    /**
     * Longest a request waits for others to share its forward pass. 0 = none: a pass takes what is
     * queued when it starts, so a lone request runs at once and batches form from the backlog.
     */
    @WithDefault("0ms")
    Duration maxQueueDelay();

    /**
     * Forward passes of at most this many images run on one PyTorch intra-op thread on CPU (a lone
     * request does not wait for a second core that something else holds); larger passes use all of
     * the engine's threads. 0 = always all.
     */
    @WithDefault("1")
    int smallPassImages();

    /**
     * Forward passes that run side by side, each on its share of the engine's intra-op threads.
     * 0 = auto: 2 on a CPU with at least 2 intra-op threads (two passes on one thread each lose less
     * to a core that request handling holds than one pass on two), 1 on a GPU or a 1-thread CPU.
     */
    @WithDefault("0")
    int passWorkers();

    /** Requests waiting for a forward pass; more answer RESOURCE_EXHAUSTED / 429 at once. */
    @WithDefault("256")
    int maxQueuedRequests();

    /** Evaluation jobs (StartEvaluation): one runs at a time. */
    EvaluationLimits evaluation();

    /** {@code maws.inference.evaluation.*}. */
    interface EvaluationLimits {
        /** Evaluations waiting behind the running one; more answer RESOURCE_EXHAUSTED / 429. */
        @WithDefault("8")
        int maxQueued();

        /** Examples of one split (evaluated or used to train the probes). */
        @WithDefault("100000")
        int maxExamples();

        /** Bytes of one dataset manifest. */
        @WithDefault("33554432")
        long maxManifestBytes();

        /**
         * Bytes of the probes' frozen features, held in memory while the probes train (examples of both
         * splits x features per example x 4); an evaluation over it is refused when started.
         */
        @WithDefault("536870912")
        long maxProbeFeatureBytes();

        /** Threads that fetch and decode a split's images while the model embeds them. */
        @WithDefault("4")
        int fetchThreads();

        /** Linear probe: epochs over the training split's features. */
        @WithDefault("30")
        int linearEpochs();

        /** Linear probe: at least this many steps, however small the training split (500 images make 1 batch of 256 an epoch). */
        @WithDefault("500")
        int linearMinSteps();

        /** Linear probe: features per step. */
        @WithDefault("256")
        int linearBatchSize();

        /** Peak learning rate of the probes (AdamW, warm-up then cosine to 0). */
        @WithDefault("0.01")
        double probeLr();

        /** Few-shot probes: optimizer steps on the k-per-class features (full batch). */
        @WithDefault("300")
        int fewShotSteps();

        /** Few-shot probes: weight decay (few features overfit without it). */
        @WithDefault("0.05")
        double fewShotWeightDecay();
    }
}
