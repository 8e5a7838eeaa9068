package dev.maws.inference.device;

import jakarta.enterprise.inject.Default;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.health.Readiness;

import dev.maws.platform.tensor.TensorEngine;
import dev.maws.platform.tensor.TensorEngineConfig;
import io.quarkus.runtime.Startup;

/** The PyTorch engine of this service, started with the service (see {@link TensorEngine}). */
@Startup
@Readiness
@Default // @Readiness is a qualifier: without @Default nobody could inject the engine
@Singleton
public class ServiceTensorEngine extends TensorEngine {
    ServiceTensorEngine(TensorEngineConfig config) {
        super(config);
    }
}
