package dev.maws.model.serve;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op threads per forward pass on CPU: one for a small pass, the engine's number for
 * larger ones. A pass of one image is too small to gain from a second thread, but with two it waits
 * for whichever core is busy with something else (the gRPC threads, other processes), and those waits
 * made the slowest 1 % of single-image requests several times slower than the median (BENCHMARKS.md,
 * inference). Larger passes keep every thread for throughput.
 *
 * <p>With several threads running passes side by side, each takes its share of the engine's threads
 * for its larger passes ({@code largePassThreads}): two passes on one thread each lose less to a busy
 * core than one pass on two threads (BENCHMARKS.md, model, {@code --pass-threads}).
 *
 * <p>Not thread-safe: one instance per thread that runs passes, used right before each. The setting
 * is per calling thread for OpenMP but process-wide for some kernels (MKL), so other threads running
 * PyTorch at the same time may see it too: a matter of speed, never of results. On a GPU it does
 * nothing.
 */
public final class PassThreads {
    private final int smallPassImages;
    private final int largePassThreads;
    private final boolean cpu;
    private int current = -1; // unknown until the first pass sets it

    /**
     * @param smallPassImages passes of at most this many images run on one thread; 0 = never
     * @param largePassThreads intra-op threads of a larger pass (see {@link #engineThreads})
     */
    public PassThreads(Device device, int smallPassImages, int largePassThreads) {
        if (smallPassImages < 0) {
            throw new IllegalArgumentException("smallPassImages must be >= 0, got " + smallPassImages);
        }
        if (largePassThreads < 1) {
            throw new IllegalArgumentException("largePassThreads must be >= 1, got " + largePassThreads);
        }
        this.smallPassImages = smallPassImages;
        this.cpu = !device.isGpu();
        this.largePassThreads = largePassThreads;
    }

    /**
     * The engine's intra-op threads as the calling thread sees them (the engine sets them at start,
     * {@code ai.djl.pytorch.num_threads}); 1 on a GPU, where they do not matter.
     */
    public static int engineThreads(Device device) {
        return device.isGpu() ? 1 : JniUtils.getNumThreads();
    }

    /** Sets the threads for a pass of {@code images} images (a no-op when they are set already). */
    public void before(int images) {
        if (!cpu) {
            return;
        }
        int want = threadsFor(images);
        if (want != current) {
            JniUtils.setNumThreads(want);
            current = want;
        }
    }

    /** Threads the next pass of {@code images} images runs on (for tests and logs). */
    public int threadsFor(int images) {
        return !cpu ? 0 : images <= smallPassImages ? 1 : largePassThreads;
    }
}
