package dev.maws.model.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;

/**
 * fc1 -> GELU -> fc2. x: (N, L, D) -> (N, L, D).
 *
 * <p>On the CPU a batch whose hidden activation (N, L, hidden) would exceed {@link #CHUNK_BYTES}
 * runs in chunks of images: the same FLOPs, one concat more. glibc malloc maps every block above 32
 * MB (its largest mmap threshold) afresh and unmaps it on free, so whole-batch activations of 39 MB
 * (tiny-28 at batch 256, vit-s/16 at 32) cost 1-2 GB of newly zeroed pages a training step
 * (BENCHMARKS.md, model); chunks stay in malloc's reused heap. A GPU's caching allocator has no
 * such cost, so there the batch runs whole.
 */
public final class Mlp {
    /**
     * Most bytes of hidden activation per chunk: half of glibc's largest mmap threshold. The system
     * property {@code maws.model.mlp-chunk-bytes} overrides it (0 = never chunk).
     */
    static final long CHUNK_BYTES = Long.getLong("maws.model.mlp-chunk-bytes", 16L << 20);

    private final Linear fc1;
    private final Linear fc2;
    private final int hidden;

    public Mlp(Parameters p, String name, int dim, int hidden) {
        this.fc1 = new Linear(p, name + ".fc1", dim, hidden);
        this.fc2 = new Linear(p, name + ".fc2", hidden, dim);
        this.hidden = hidden;
    }

    public NDArray forward(NDArray x) {
        return forward(x, chunks(x));
    }

    /** The forward pass in {@code chunks} chunks of images (1 = the batch whole). */
    NDArray forward(NDArray x, int chunks) {
        if (chunks == 1) {
            return whole(x);
        }
        long images = x.getShape().get(0);
        long[] starts = new long[chunks - 1]; // where chunks 2..k begin: as even as the batch allows
        for (int k = 1; k < chunks; k++) {
            starts[k - 1] = k * images / chunks;
        }
        NDList parts = x.split(starts, 0);
        NDList out = new NDList(parts.size());
        for (NDArray part : parts) {
            out.add(whole(part));
        }
        return NDArrays.concat(out, 0);
    }

    private NDArray whole(NDArray x) {
        return fc2.forward(Activation.gelu(fc1.forward(x)));
    }

    /** Chunks of images for x (N, L, D): 1 on a GPU, when the hidden activation is small, or for one image. */
    int chunks(NDArray x) {
        long hiddenBytes = x.getShape().size() / x.getShape().get(x.getShape().dimension() - 1) * hidden * Float.BYTES;
        if (x.getDevice().isGpu() || CHUNK_BYTES <= 0 || hiddenBytes <= CHUNK_BYTES) {
            return 1;
        }
        return (int) Math.min(x.getShape().get(0), (hiddenBytes + CHUNK_BYTES - 1) / CHUNK_BYTES);
    }
}
