package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStackResource;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.trainer.device.ServiceTensorEngine;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A second app start with another profile in the same JVM: PyTorch's natives are loaded once per
 * JVM, so without DJL's classes parent-first this start fails with "libc10.so already loaded in
 * another classloader".
 */
@QuarkusTest
@TestProfile(TensorEngineSecondProfileTest.ExplicitCpu.class)
@QuarkusTestResource(DevStackResource.class)
class TensorEngineSecondProfileTest {
    public static class ExplicitCpu implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("maws.djl.device", "CPU");
        }
    }

    @Inject
    ServiceTensorEngine engine;

    @Test
    void runsATensorOpInTheSecondAppOfThisJvm() {
        assertEquals("CPU", engine.device());
        assertEquals(DjlRuntime.PROBE_RESULT, engine.probe());
    }
}
