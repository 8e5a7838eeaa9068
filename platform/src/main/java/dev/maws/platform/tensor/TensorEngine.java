package dev.maws.platform.tensor;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jboss.logging.Logger;

import dev.maws.model.runtime.DjlRuntime;

/**
 * Starts the PyTorch engine once, on the configured device; a bad or unavailable device stops the
 * service. As a readiness check: ready while a tensor op runs on that device.
 *
 * <p>Not a bean here (label-service has no DJL): a service that computes declares a subclass with
 * {@code @Startup @Readiness @Singleton}.
 */
public abstract class TensorEngine implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(TensorEngine.class);

    private final DjlRuntime runtime;
    private final String device;

    protected TensorEngine(TensorEngineConfig config) {
        this.runtime = DjlRuntime.start(config.cacheDir().orElse(null));
        this.device = config.device();
        LOG.infof("tensors on %s (%s, %d GPU(s) visible)", runtime.devices(device), runtime.engineDescription(),
                runtime.gpuCount());
    }

    public DjlRuntime runtime() {
        return runtime;
    }

    /** The configured device setting ("cpu", "gpu", "gpu:N"). */
    public String device() {
        return device;
    }

    /** Runs one small tensor computation on the configured device; see {@link DjlRuntime#probe}. */
    public float probe() {
        return runtime.probe(device);
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("tensor-engine").withData("device", device)
                .withData("engine", runtime.engineDescription());
        try {
            float result = probe();
            return result == DjlRuntime.PROBE_RESULT ? response.up().build()
                    : response.down().withData("reason", "probe computed " + result + ", not " + DjlRuntime.PROBE_RESULT).build();
        } catch (RuntimeException e) {
            return response.down().withData("reason", String.valueOf(e)).build();
        }
    }
}
