package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStackResource;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.trainer.device.ServiceTensorEngine;
import dev.maws.trainer.job.JobSpecs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A second app start with another profile in the same JVM: PyTorch's natives are loaded once per
 * JVM, so without DJL's classes parent-first this start fails with "libc10.so already loaded in
 * another classloader". The device is spelled "CPU", unlike any default, to tell where a job's device
 * comes from.
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

    @Inject
    JobSpecs specs;

    @Test
    void runsATensorOpInTheSecondAppOfThisJvm() {
        assertEquals("CPU", engine.device());
        assertEquals(DjlRuntime.PROBE_RESULT, engine.probe());
    }

    /** maws.trainer.default-device is not set: a spec without a device runs where the engine does. */
    @Test
    void aSpecWithoutDeviceTakesTheEnginesDevice() {
        assertEquals("CPU", specs.accept(TrainingJobsTest.mae(1).build()).spec().getDevice());
        assertEquals("cpu", specs.accept(TrainingJobsTest.mae(1).setDevice("cpu").build()).spec().getDevice());
    }
}
