package dev.maws.model.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * NDArrays from Java values whose native memory is freed when the NDArray is closed.
 *
 * <p>Why not {@code manager.create(float[])}: on the CPU, DJL's PyTorch engine copies the array into a
 * fresh direct ByteBuffer and makes the tensor point at it ({@code torch::from_blob}). Closing the
 * NDArray only drops the reference; the memory comes back when a garbage collection finds the buffer.
 * A training loop allocates little on the Java heap, so collections are rare and every batch, target
 * and mask array stayed in native memory until the next one: RSS crept by roughly a batch per step
 * (the creep the model issue's memory runs saw, with every NDArray accounted for). Here the values
 * pass through one staging buffer per thread and are cloned into memory PyTorch owns.
 */
public final class HostArrays {
    /** Grows to the largest array a thread has staged; the only direct buffer this class keeps. */
    private static final ThreadLocal<ByteBuffer> STAGING = ThreadLocal.withInitial(() -> direct(1 << 16));

    private HostArrays() {}

    /** A float32 array of {@code shape} with {@code values}, owned by {@code m}, on its device. */
    public static NDArray floats(NDManager m, float[] values, Shape shape) {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException(values.length + " values do not fill shape " + shape);
        }
        int bytes = Math.multiplyExact(values.length, Float.BYTES); // a direct buffer holds at most 2 GB
        ByteBuffer staging = staging(bytes);
        staging.asFloatBuffer().put(values);
        NDArray view = m.create(staging.limit(bytes), shape, DataType.FLOAT32);
        if (view.getDevice().isGpu()) {
            return view; // the engine copied the staging buffer to the device; nothing points at it
        }
        try (view) {
            return view.duplicate(); // torch clone, in m: PyTorch's memory, freed at close
        }
    }

    /** A 0-d float32 array holding {@code value}, owned by {@code m}, on its device (torch::full, no Java buffer). */
    public static NDArray scalar(NDManager m, float value) {
        return m.full(new Shape(), value, DataType.FLOAT32);
    }

    private static ByteBuffer staging(int bytes) {
        ByteBuffer b = STAGING.get();
        if (b.capacity() < bytes) {
            b = direct((int) Math.max(bytes, Math.min(Integer.MAX_VALUE, 2L * b.capacity())));
            STAGING.set(b);
        }
        return b.clear();
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
}
