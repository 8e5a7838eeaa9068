package dev.maws.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * Scalars as NDArrays of the operand's own manager. DJL's Java-number overloads ({@code x.mul(2f)})
 * wrap a direct buffer that the GC may free while autograd still needs it: backward then reads
 * garbage (NaN gradients after a GC between forward and backward). Never use them on a graph.
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-d float32 array with {@code value}, owned by {@code like}'s manager, on its device. */
    public static NDArray of(NDArray like, float value) {
        return HostArrays.scalar(like.getManager(), value);
    }
}
