package dev.maws.inference.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import ai.djl.Device;

class PassWorkersTest {
    @Test
    void autoRunsTwoPassesOnACpuWithTwoThreadsAndOneElsewhere() {
        assertEquals(2, ModelRegistry.passWorkers(0, Device.cpu(), 2));
        assertEquals(2, ModelRegistry.passWorkers(0, Device.cpu(), 16));
        assertEquals(1, ModelRegistry.passWorkers(0, Device.cpu(), 1));
        assertEquals(1, ModelRegistry.passWorkers(0, Device.gpu(), 1));
    }

    @Test
    void aConfiguredCountIsKeptAndANegativeOneRefused() {
        assertEquals(3, ModelRegistry.passWorkers(3, Device.gpu(), 1));
        assertEquals(1, ModelRegistry.passWorkers(1, Device.cpu(), 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.passWorkers(-1, Device.cpu(), 2));
        assertEquals("maws.inference.pass-workers must be >= 0 (0 = auto), got -1", e.getMessage());
    }
}
