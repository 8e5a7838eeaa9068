package dev.maws.model.nn;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One float32 tensor on a stream: rank, dims, then little-endian values. Used by the parameter file
 * and the optimizer state of a checkpoint.
 */
public final class TensorIO {
    private TensorIO() {}

    public static void write(DataOutputStream out, NDArray a) throws IOException {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new IOException("only float32 tensors are saved, got " + a.getDataType());
        }
        long[] shape = a.getShape().getShape();
        out.writeInt(shape.length);
        for (long s : shape) {
            out.writeLong(s);
        }
        ByteBuffer bytes = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] chunk = new byte[64 * 1024];
        while (bytes.hasRemaining()) {
            int n = Math.min(chunk.length, bytes.remaining());
            bytes.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    /** Reads a tensor written by {@link #write}; its shape must be {@code expected}. */
    public static float[] read(DataInputStream in, Shape expected, String name) throws IOException {
        int rank = in.readInt();
        if (rank < 0 || rank > 8) {
            throw new IOException(name + ": corrupt tensor header (rank " + rank + ")");
        }
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readLong();
        }
        Shape shape = new Shape(dims);
        if (!shape.equals(expected)) {
            throw new IOException(name + " has shape " + shape + " in the file, " + expected + " in the model");
        }
        byte[] bytes = new byte[Math.toIntExact(shape.size() * 4)];
        in.readFully(bytes);
        float[] values = new float[Math.toIntExact(shape.size())];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
