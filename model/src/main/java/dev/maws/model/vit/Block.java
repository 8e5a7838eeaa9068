package dev.maws.model.vit;

import ai.djl.ndarray.NDArray;
import dev.maws.model.nn.LayerNorm;
import dev.maws.model.nn.Parameters;

/** Pre-norm transformer block: x + attn(norm1(x)), then + mlp(norm2(x)). x: (N, L, D) -> (N, L, D). */
public final class Block {
    private final LayerNorm norm1;
    private final Attention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    public Block(Parameters p, String name, int dim, int heads, int mlpHidden) {
        this.norm1 = new LayerNorm(p, name + ".norm1", dim);
        this.attn = new Attention(p, name + ".attn", dim, heads);
        this.norm2 = new LayerNorm(p, name + ".norm2", dim);
        this.mlp = new Mlp(p, name + ".mlp", dim, mlpHidden);
    }

    public NDArray forward(NDArray x) {
        NDArray h = x.add(attn.forward(norm1.forward(x)));
        return h.add(mlp.forward(norm2.forward(h)));
    }
}
