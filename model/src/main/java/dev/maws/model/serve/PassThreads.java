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
 * <p>Not thread-safe: one instance, used by the one thread that runs the passes, right before each.
 * The setting is per calling thread for OpenMP but process-wide for some kernels (MKL), so other
 * threads running PyTorch at the same time may see it too: a matter of speed, never of results. On
 * a GPU it does nothing.
 */
public final class PassThreads {
    private final int smallPassImages;
    private final int engineThreads;
    private final boolean cpu;
    private int current;

    /** @param smallPassImages passes of at most this many images run on one thread; 0 = never */
    public PassThreads(Device device, int smallPassImages) {
        if (smallPassImages < 0) {
            throw new IllegalArgumentException("smallPassImages must be >= 0, got " + smallPassImages);
        }
        this.smallPassImages = smallPassImages;
        this.cpu = !device.isGpu();
        this.engineThreads = cpu ? JniUtils.getNumThreads() : 0;
        this.current = engineThreads;
    }

    /** Sets the threads for a pass of {@code images} images (a no-op when they are set already). */
    public void before(int images) {
        if (!cpu) {
            return;
        }
        int want = images <= smallPassImages ? 1 : engineThreads;
        if (want != current) {
            JniUtils.setNumThreads(want);
            current = want;
        }
    }

    /** Threads the next pass of {@code images} images runs on (for tests and logs). */
    public int threadsFor(int images) {
        return !cpu ? 0 : images <= smallPassImages ? 1 : engineThreads;
    }
}
