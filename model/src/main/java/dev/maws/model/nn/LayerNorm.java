package dev.maws.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Per-token layer norm over the last axis, eps 1e-6 as in MAE. x: (N, L, D) -> (N, L, D).
 * (DJL's LayerNorm block normalises over every non-batch axis by default, which mixes tokens.)
 */
public final class LayerNorm {
    private final NDArray gamma; // (D)
    private final NDArray beta; // (D)
    private final Shape normalized;

    public LayerNorm(Parameters p, String name, long dim) {
        this.gamma = p.constant(name + ".weight", dim, 1f);
        this.beta = p.constant(name + ".bias", dim, 0f);
        this.normalized = new Shape(dim);
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalized, gamma, beta, 1e-6f).singletonOrThrow();
    }
}
