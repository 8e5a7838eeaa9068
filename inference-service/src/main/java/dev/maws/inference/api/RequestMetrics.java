package dev.maws.inference.api;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** {@code maws_inference_requests_seconds{method, outcome}}: count and latency of every call, gRPC and REST alike. */
@Singleton
public class RequestMetrics {
    private final MeterRegistry registry;

    RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Runs a call, timing it under its method and outcome (ok, invalid_argument, not_found, ...). */
    public <T> T timed(String method, InferenceGrpcService.Call<T> call) throws Exception {
        long t0 = System.nanoTime();
        String outcome = "ok";
        try {
            return call.get();
        } catch (Exception e) {
            outcome = InferenceGrpcService.status(e).getCode().name().toLowerCase(Locale.ROOT);
            throw e;
        } finally {
            Timer.builder("maws.inference.requests").description("inference calls by method and outcome")
                    .tag("method", method).tag("outcome", outcome).publishPercentileHistogram().register(registry)
                    .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
    }
}
