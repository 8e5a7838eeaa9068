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

    /** Requests waiting for the inference thread; more answer RESOURCE_EXHAUSTED / 429 at once. */
    @WithDefault("256")
    int maxQueuedRequests();
}
