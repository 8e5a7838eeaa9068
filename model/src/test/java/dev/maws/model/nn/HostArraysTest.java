package dev.maws.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

class HostArraysTest {

    @Test
    void arraysKeepTheirValuesWhenTheStagingBufferIsReused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray first = HostArrays.floats(m, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray second = HostArrays.floats(m, new float[] {-1, -2, -3, -4, -5, -6}, new Shape(3, 2));
            assertEquals(new Shape(2, 3), first.getShape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, first.toFloatArray(), "first array changed by the second");
            assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -6}, second.toFloatArray());
            assertEquals(2.5f, HostArrays.scalar(m, 2.5f).getFloat());
            assertEquals(0, HostArrays.scalar(m, 2.5f).getShape().dimension());
        }
    }

    @Test
    void aWrongCountIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HostArrays.floats(m, new float[5], new Shape(2, 3)));
            assertTrue(e.getMessage().contains("(2, 3)"), e.getMessage());
        }
    }

    /**
     * The point of the class: closed arrays leave no Java direct buffer behind for a GC to free.
     * (manager.create(float[]) leaves one of each array's size; 200 MB here unless a GC runs.)
     */
    @Test
    void closedArraysLeaveNoDirectMemoryBehind() {
        float[] megabyte = new float[1 << 18];
        try (NDManager m = NDManager.newBaseManager()) {
            HostArrays.floats(m, megabyte, new Shape(megabyte.length)).close(); // the staging buffer grows once
            long before = directBytesUsed();
            for (int i = 0; i < 200; i++) {
                megabyte[i] = i;
                try (NDArray a = HostArrays.floats(m, megabyte, new Shape(megabyte.length))) {
                    assertEquals(i, a.getFloat(i));
                }
            }
            long grown = directBytesUsed() - before;
            assertTrue(grown < (1 << 20), "200 closed 1 MB arrays left " + grown + " bytes of direct buffers");
        }
    }

    private static long directBytesUsed() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }
}
