package dev.maws.model.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;

/** fc1 -> GELU -> fc2. x: (N, L, D) -> (N, L, D). */
public final class Mlp {
    private final Linear fc1;
    private final Linear fc2;

    public Mlp(Parameters p, String name, int dim, int hidden) {
        this.fc1 = new Linear(p, name + ".fc1", dim, hidden);
        this.fc2 = new Linear(p, name + ".fc2", hidden, dim);
    }

    public NDArray forward(NDArray x) {
        return fc2.forward(Activation.gelu(fc1.forward(x)));
    }
}
