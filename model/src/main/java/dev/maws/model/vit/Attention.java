package dev.maws.model.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.Scalars;

/** Multi-head self-attention. x: (N, L, D) -> (N, L, D). */
public final class Attention {
    private final int heads;
    private final float scale;
    private final Linear qkv;
    private final Linear proj;

    public Attention(Parameters p, String name, int dim, int heads) {
        this.heads = heads;
        this.scale = (float) (1.0 / Math.sqrt(dim / (double) heads));
        this.qkv = new Linear(p, name + ".qkv", dim, 3L * dim);
        this.proj = new Linear(p, name + ".proj", dim, dim);
    }

    public NDArray forward(NDArray x) {
        long n = x.getShape().get(0);
        long l = x.getShape().get(1);
        long d = x.getShape().get(2);
        // split, not get(i): each slice's backward would zero-fill the whole fused tensor
        NDList qkvParts = qkv.forward(x).split(3, 2); // 3 x (N, L, D)
        NDArray q = toHeads(qkvParts.get(0), n, l, d).mul(Scalars.of(x, scale)); // (N, H, L, hd)
        NDArray k = toHeads(qkvParts.get(1), n, l, d);
        NDArray v = toHeads(qkvParts.get(2), n, l, d);
        NDArray attn = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1); // (N, H, L, L)
        NDArray out = attn.matMul(v) // (N, H, L, hd)
                .transpose(0, 2, 1, 3)
                .reshape(n, l, d);
        return proj.forward(out);
    }

    private NDArray toHeads(NDArray t, long n, long l, long d) {
        return t.reshape(n, l, heads, d / heads).transpose(0, 2, 1, 3);
    }
}
