package dev.maws.model.nn;

import ai.djl.ndarray.NDArray;

/** y = x W^T + b. x: (..., in) -> (..., out). */
public final class Linear {
    private final NDArray weight; // (out, in)
    private final NDArray bias; // (out)

    public Linear(Parameters p, String name, long in, long out) {
        this.weight = p.xavierWeight(name + ".weight", out, in);
        this.bias = p.constant(name + ".bias", out, 0f);
    }

    public NDArray forward(NDArray x) {
        // x first: the result belongs to x's (the step's) manager, not the parameters'
        return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
