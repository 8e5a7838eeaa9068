package dev.maws.model.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import ai.djl.Device;

class DjlRuntimeTest {
    private final DjlRuntime runtime = DjlRuntime.start(System.getProperty("DJL_CACHE_DIR"));

    @Test
    void startsOnceAndRunsATensorOpOnTheCpu() {
        assertSame(runtime, DjlRuntime.start(null));
        assertTrue(runtime.engineDescription().startsWith("PyTorch 2.5.1"), runtime.engineDescription());
        assertEquals(54f, runtime.probe("cpu"));
        assertEquals(java.util.List.of(Device.cpu()), runtime.devices(" CPU "));
    }

    @Test
    void rejectsMalformedDeviceSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runtime.devices("cuda0"));
        assertTrue(e.getMessage().contains("\"cpu\", \"gpu\" or \"gpu:N\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> runtime.devices(""));
        assertThrows(IllegalArgumentException.class, () -> runtime.devices("gpu:-1"));
    }

    @Test
    void aMissingGpuIsAnErrorNotASilentCpuFallback() {
        if (runtime.gpuCount() == 0) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runtime.devices("gpu"));
            assertTrue(e.getMessage().contains("sees none"), e.getMessage());
        } else {
            assertEquals(runtime.gpuCount(), runtime.devices("gpu").size());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> runtime.devices("gpu:" + runtime.gpuCount()));
            assertTrue(e.getMessage().contains("only " + runtime.gpuCount()), e.getMessage());
        }
    }
}
