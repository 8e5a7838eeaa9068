package dev.maws.platform.tensor;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where tensors live (trainer and inference): the device setting and DJL's native-library cache. */
@ConfigMapping(prefix = "maws.djl")
public interface TensorEngineConfig {
    /** "cpu", "gpu" (every local GPU) or "gpu:N". A GPU setting on a machine without one fails the start. */
    @WithDefault("cpu")
    String device();

    /** Where DJL unpacks the PyTorch natives (~425 MB, once); DJL's default (~/.djl.ai) when absent. */
    Optional<String> cacheDir();
}
