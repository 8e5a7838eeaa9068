package dev.maws.model.mae;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.nn.LayerNorm;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.Scalars;
import dev.maws.model.vit.Block;
import dev.maws.model.vit.SinCosPositions;
import dev.maws.model.vit.VisionTransformer;
import dev.maws.model.vit.VitConfig;

/**
 * Masked autoencoder with a ViT backbone (He et al., 2021), read like MAE's models_mae.py: the
 * encoder sees only the visible patches, a light decoder fills in mask tokens and predicts the pixels
 * of every patch, the loss counts the masked patches only.
 */
public final class MaskedAutoencoder {
    public static final String DECODER_PREFIX = "decoder.";

    private final VitConfig config;
    // --- MAE encoder specifics
    private final VisionTransformer encoder;
    // --- MAE decoder specifics
    private final Linear decoderEmbed;
    private final NDArray maskToken; // (1, 1, Dd)
    private final NDArray decoderPos; // (1, 1 + L, Dd), fixed
    private final List<Block> decoderBlocks = new ArrayList<>();
    private final LayerNorm decoderNorm;
    private final Linear decoderPred; // decoder to patch pixels
    private final boolean normPixLoss;

    public MaskedAutoencoder(Parameters p, VitConfig config, boolean normPixLoss) {
        this.config = config.validate();
        this.normPixLoss = normPixLoss;
        this.encoder = new VisionTransformer(p, config);
        int dd = config.decoderWidth();
        this.decoderEmbed = new Linear(p, DECODER_PREFIX + "embed", config.width(), dd);
        this.maskToken = p.token(DECODER_PREFIX + "mask_token", new Shape(1, 1, dd));
        this.decoderPos = p.buffer(DECODER_PREFIX + "pos_embed", SinCosPositions.withClsRow(dd, config.gridSize()),
                new Shape(1, 1 + config.numPatches(), dd));
        for (int i = 0; i < config.decoderDepth(); i++) {
            decoderBlocks.add(new Block(p, DECODER_PREFIX + "blocks." + i, dd, config.decoderHeads(),
                    (int) Math.round(dd * config.mlpRatio())));
        }
        this.decoderNorm = new LayerNorm(p, DECODER_PREFIX + "norm", dd);
        this.decoderPred = new Linear(p, DECODER_PREFIX + "pred", dd, config.patchDim());
    }

    public VitConfig config() {
        return config;
    }

    public VisionTransformer encoder() {
        return encoder;
    }

    /** What one forward pass gives: the loss, the per-patch prediction and the mask. */
    public record Output(NDArray loss, NDArray pred, NDArray mask) {}

    /** A random masking of a batch: what is kept, and how to put the shuffle back in order. */
    public record Masking(NDArray idsKeep, NDArray idsRestore, NDArray mask) {}

    /**
     * Per-sample random masking by argsort of uniform noise (noise from {@code random}, so a seed
     * repeats exactly).
     *
     * @param n batch size
     * @return idsKeep (N, keep) int64; idsRestore (N, L) int64; mask (N, L) float, 0 is keep, 1 is remove
     */
    public Masking randomMasking(NDManager m, int n, double maskRatio, Random random) {
        float[] noise = new float[n * config.numPatches()];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = random.nextFloat();
        }
        return randomMasking(m, n, maskRatio, noise);
    }

    /**
     * The same from given noise: {@code noise} (N, L) in [0, 1), sample after sample. A sample's mask
     * depends on its own row only, so a job can draw each sample's noise from a seed of that sample
     * and mask it the same way whichever batch, device or process it lands in.
     */
    public Masking randomMasking(NDManager m, int n, double maskRatio, float[] noise) {
        int l = config.numPatches();
        if (noise.length != n * l) {
            throw new IllegalArgumentException("noise for " + n + " samples of " + l + " patches has " + noise.length
                    + " values");
        }
        int keep = keepCount(maskRatio);
        NDArray idsShuffle = HostArrays.floats(m, noise, new Shape(n, l)).argSort(1); // ascend: small is keep, large is remove
        NDArray idsRestore = idsShuffle.argSort(1);
        NDArray idsKeep = idsShuffle.get(new NDIndex(":, :{}", keep));
        // binary mask in shuffled order (keep first), then unshuffled to patch order
        float[] shuffled = new float[n * l];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(shuffled, i * l + keep, (i + 1) * l, 1f);
        }
        NDArray mask = HostArrays.floats(m, shuffled, new Shape(n, l)).gather(idsRestore, 1);
        return new Masking(idsKeep, idsRestore, mask);
    }

    /** Patches kept by the encoder for a mask ratio: L * (1 - ratio), at least 1. */
    public int keepCount(double maskRatio) {
        if (!(maskRatio > 0 && maskRatio < 1)) {
            throw new IllegalArgumentException("mask ratio must be in (0, 1), got " + maskRatio);
        }
        return Math.max(1, (int) (config.numPatches() * (1 - maskRatio)));
    }

    /** imgs: (N, C, H, W) -> latent (N, 1 + keep, D): cls + the visible patches only. */
    public NDArray forwardEncoder(NDArray imgs, Masking masking) {
        NDArray x = encoder.embedPatches(imgs); // (N, L, D)
        NDArray x_ = x.gather(expand(masking.idsKeep(), config.width()), 1); // (N, keep, D)
        return encoder.forwardTokens(encoder.prependCls(x_));
    }

    /** latent: (N, 1 + keep, D) -> pred (N, L, p*p*C) for every patch, in patch order. */
    public NDArray forwardDecoder(NDArray latent, Masking masking) {
        NDArray x = decoderEmbed.forward(latent); // (N, 1 + keep, Dd)
        long n = x.getShape().get(0);
        long visible = x.getShape().get(1) - 1;
        int dd = config.decoderWidth();
        NDArray maskTokens = x.getManager().zeros(new Shape(n, config.numPatches() - visible, dd)).add(maskToken);
        NDArray x_ = x.get(new NDIndex(":, 1:, :")).concat(maskTokens, 1); // (N, L, Dd), shuffled order
        x_ = x_.gather(expand(masking.idsRestore(), dd), 1); // unshuffle
        x = x.get(new NDIndex(":, :1, :")).concat(x_, 1).add(decoderPos); // (N, 1 + L, Dd)
        for (Block b : decoderBlocks) {
            x = b.forward(x);
        }
        x = decoderPred.forward(decoderNorm.forward(x)); // (N, 1 + L, p*p*C)
        return x.get(new NDIndex(":, 1:, :")); // remove cls token
    }

    /**
     * Mean squared error on the masked patches only; with normPixLoss the target is each patch's
     * pixels normalised by the patch's own mean and variance.
     *
     * @param imgs (N, C, H, W)
     * @param pred (N, L, p*p*C)
     * @param mask (N, L), 0 is keep, 1 is remove
     */
    public NDArray forwardLoss(NDArray imgs, NDArray pred, NDArray mask) {
        NDArray target = encoder.patchify(imgs);
        if (normPixLoss) {
            int dim = config.patchDim();
            NDArray mean = target.mean(new int[] {2}, true);
            NDArray centered = target.sub(mean);
            // unbiased variance, as torch's .var()
            NDArray var = centered.square().sum(new int[] {2}, true).div(Scalars.of(target, dim - 1));
            target = centered.div(var.add(Scalars.of(target, 1e-6f)).sqrt());
        }
        NDArray loss = pred.sub(target).square().mean(new int[] {2}); // (N, L), mean loss per patch
        return loss.mul(mask).sum().div(mask.sum()); // mean loss on removed patches
    }

    /** imgs: (N, C, H, W) -> loss, pred (N, L, p*p*C), mask (N, L). */
    public Output forward(NDArray imgs, double maskRatio, Random random) {
        int n = Math.toIntExact(imgs.getShape().get(0));
        return forward(imgs, randomMasking(imgs.getManager(), n, maskRatio, random));
    }

    /** imgs: (N, C, H, W), noise: (N, L) -> loss, pred, mask (see {@link #randomMasking(NDManager, int, double, float[])}). */
    public Output forward(NDArray imgs, double maskRatio, float[] noise) {
        int n = Math.toIntExact(imgs.getShape().get(0));
        return forward(imgs, randomMasking(imgs.getManager(), n, maskRatio, noise));
    }

    private Output forward(NDArray imgs, Masking masking) {
        NDArray latent = forwardEncoder(imgs, masking);
        NDArray pred = forwardDecoder(latent, masking);
        return new Output(forwardLoss(imgs, pred, masking.mask()), pred, masking.mask());
    }

    /** What the MAE sees and what it makes of it, as images (N, C, H, W) in the input's normalisation. */
    public record Reconstruction(NDArray masked, NDArray reconstructed) {}

    /**
     * MAE's visualisation: the input with the removed patches blanked (0), and the visible patches
     * pasted over the decoder's prediction of the removed ones. With normPixLoss the prediction is
     * in per-patch normalised units, so it is mapped back with each patch's own mean and std.
     *
     * @param imgs (N, C, H, W)
     */
    public Reconstruction reconstruct(NDArray imgs, double maskRatio, Random random) {
        int n = Math.toIntExact(imgs.getShape().get(0));
        Masking masking = randomMasking(imgs.getManager(), n, maskRatio, random);
        NDArray pred = forwardDecoder(forwardEncoder(imgs, masking), masking); // (N, L, p*p*C)
        NDArray target = encoder.patchify(imgs); // (N, L, p*p*C)
        if (normPixLoss) {
            NDArray mean = target.mean(new int[] {2}, true);
            NDArray var = target.sub(mean).square().sum(new int[] {2}, true).div(Scalars.of(target, config.patchDim() - 1));
            pred = pred.mul(var.add(Scalars.of(target, 1e-6f)).sqrt()).add(mean);
        }
        NDArray removed = masking.mask().expandDims(2); // (N, L, 1), 1 = removed
        NDArray kept = removed.neg().add(Scalars.of(removed, 1f));
        NDArray masked = target.mul(kept);
        NDArray reconstructed = masked.add(pred.mul(removed));
        return new Reconstruction(encoder.unpatchify(masked), encoder.unpatchify(reconstructed));
    }

    /** ids: (N, M) -> (N, M, width), the index shape gather wants (a broadcast view, no copy). */
    private static NDArray expand(NDArray ids, int width) {
        Shape s = ids.getShape();
        return ids.expandDims(2).broadcast(new Shape(s.get(0), s.get(1), width)).toType(DataType.INT64, false);
    }
}
