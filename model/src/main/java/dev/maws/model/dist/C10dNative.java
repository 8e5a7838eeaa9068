package dev.maws.model.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import ai.djl.engine.Engine;

/**
 * The JNI bridge of {@code src/main/native/maws_c10d.cpp}: c10d's TCPStore and Gloo process group on
 * the libtorch DJL loaded. Handles are native pointers owned by the caller ({@link #release}).
 */
final class C10dNative {
    private static final String LIBRARY = "/dev/maws/model/dist/libmaws_c10d.so";
    private static volatile boolean loaded;

    private C10dNative() {}

    /** Loads the bridge after DJL's PyTorch engine, whose libtorch it calls into. */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        Engine.getEngine("PyTorch"); // libtorch_cpu.so in the process first: the bridge looks it up there
        try (InputStream in = C10dNative.class.getResourceAsStream(LIBRARY)) {
            if (in == null) {
                throw new IllegalStateException(LIBRARY + " is not on the classpath: the model module was built without g++");
            }
            Path file = Files.createTempFile("maws_c10d", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + LIBRARY, e);
        }
        loaded = true;
    }

    /** A TCPStore: the server on rank 0, a client elsewhere; waits up to timeoutMs for all workers. */
    static native long newTcpStore(String host, int port, int worldSize, boolean isServer, long timeoutMs)
            throws IOException;

    /** A Gloo process group over {@code store}, its transport bound to the interface of {@code host}. */
    static native long newGlooGroup(long store, int rank, int worldSize, String host, long timeoutMs, int threads)
            throws IOException;

    /** Sums each tensor ({@code at::Tensor*} handles) in place over the group, one all-reduce each, waiting for each. */
    static native void allreduceSum(long group, long[] tensorHandles, long timeoutMs) throws IOException;

    /** Drops the caller's reference to a store or group. */
    static native void release(long handle);

    /** The strong reference count of a store, group or tensor implementation (tests). */
    static native int referenceCount(long handle);
}
