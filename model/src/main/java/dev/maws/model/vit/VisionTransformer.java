package dev.maws.model.vit;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.nn.LayerNorm;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;

/**
 * The ViT encoder shared by MAE, WSP and feature extraction: patch embedding, cls token, fixed 2-D
 * sin-cos position embeddings, pre-norm blocks, final norm. Its parameters are named
 * {@code encoder.*} in every model, which is what makes MAE -> WSP transfer a copy by name.
 */
public final class VisionTransformer {
    public static final String PREFIX = "encoder.";

    private final VitConfig config;
    private final Linear patchEmbed; // patch pixels -> width, like nn.Linear (as MAE initialises its conv)
    private final NDArray clsToken; // (1, 1, D)
    private final NDArray posPatches; // (1, L, D), fixed
    private final NDArray posCls; // (1, 1, D), fixed (zeros)
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm norm;

    public VisionTransformer(Parameters p, VitConfig config) {
        this.config = config.validate();
        int d = config.width();
        int l = config.numPatches();
        this.patchEmbed = new Linear(p, PREFIX + "patch_embed", config.patchDim(), d);
        this.clsToken = p.token(PREFIX + "cls_token", new Shape(1, 1, d));
        float[] pos = SinCosPositions.withClsRow(d, config.gridSize());
        this.posCls = p.buffer(PREFIX + "pos_embed.cls", java.util.Arrays.copyOfRange(pos, 0, d), new Shape(1, 1, d));
        this.posPatches = p.buffer(PREFIX + "pos_embed.patches", java.util.Arrays.copyOfRange(pos, d, pos.length),
                new Shape(1, l, d));
        for (int i = 0; i < config.depth(); i++) {
            blocks.add(new Block(p, PREFIX + "blocks." + i, d, config.heads(), config.mlpHidden()));
        }
        this.norm = new LayerNorm(p, PREFIX + "norm", d);
    }

    public VitConfig config() {
        return config;
    }

    /** imgs: (N, C, H, W) -> x: (N, L, p*p*C), patches row by row, pixels (p, p, C) inside a patch. */
    public NDArray patchify(NDArray imgs) {
        long n = imgs.getShape().get(0);
        int p = config.patchSize();
        int h = config.gridSize();
        return imgs.reshape(n, config.channels(), h, p, h, p)
                .transpose(0, 2, 4, 3, 5, 1) // n c h p w q -> n h w p q c
                .reshape(n, (long) h * h, config.patchDim());
    }

    /** x: (N, L, p*p*C) -> imgs: (N, C, H, W); the inverse of {@link #patchify}. */
    public NDArray unpatchify(NDArray x) {
        long n = x.getShape().get(0);
        int p = config.patchSize();
        int h = config.gridSize();
        return x.reshape(n, h, h, p, p, config.channels())
                .transpose(0, 5, 1, 3, 2, 4) // n h w p q c -> n c h p w q
                .reshape(n, config.channels(), (long) h * p, (long) h * p);
    }

    /** imgs: (N, C, H, W) -> (N, L, D): embedded patches with their position embeddings added. */
    public NDArray embedPatches(NDArray imgs) {
        return patchEmbed.forward(patchify(imgs)).add(posPatches);
    }

    /** x: (N, M, D) -> (N, 1 + M, D) with the cls token (plus its position embedding) in front. */
    public NDArray prependCls(NDArray x) {
        long n = x.getShape().get(0);
        // zeros of the step first, so the broadcast result belongs to the step, not the parameters
        NDArray cls = x.getManager().zeros(new Shape(n, 1, config.width())).add(clsToken).add(posCls);
        return cls.concat(x, 1);
    }

    /** x: (N, T, D) -> (N, T, D) through every block and the final norm. */
    public NDArray forwardTokens(NDArray x) {
        for (Block b : blocks) {
            x = b.forward(x);
        }
        return norm.forward(x);
    }

    /**
     * imgs: (N, C, H, W) -> the tokens of the last {@code n} blocks, oldest first, each through the
     * final norm: (N, 1 + L, D) each. The last one is {@link #forward}'s result.
     */
    public List<NDArray> forwardLastBlocks(NDArray imgs, int n) {
        if (n < 1 || n > blocks.size()) {
            throw new IllegalArgumentException("last " + n + " blocks of " + blocks.size());
        }
        List<NDArray> out = new ArrayList<>();
        NDArray x = prependCls(embedPatches(imgs));
        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(x);
            if (i >= blocks.size() - n) {
                out.add(norm.forward(x));
            }
        }
        return out;
    }

    /** imgs: (N, C, H, W) -> tokens (N, 1 + L, D), cls first. */
    public NDArray forward(NDArray imgs) {
        return forwardTokens(prependCls(embedPatches(imgs)));
    }

    /** tokens: (N, 1 + L, D) -> features (N, D): the cls token, or the mean of the patch tokens. */
    public NDArray pool(NDArray tokens, VitConfig.Pooling pooling) {
        return pooling == VitConfig.Pooling.CLS
                ? tokens.get(new NDIndex(":, 0, :"))
                : tokens.get(new NDIndex(":, 1:, :")).mean(new int[] {1});
    }
}
