package dev.maws.model.serve;

import java.io.IOException;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.maws.model.checkpoint.Checkpoint;
import dev.maws.model.checkpoint.CheckpointFiles;
import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.GradMode;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VisionTransformer;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

/**
 * A checkpoint loaded for inference: the encoder (of an MAE or WSP checkpoint) and, for WSP, its
 * head. Loading verifies every checksum. Each call runs with gradients off in its own memory scope,
 * so nothing it allocates outlives it; the model's own tensors are freed by {@link #close()}.
 */
public final class ServingModel implements AutoCloseable {
    private final CheckpointManifest manifest;
    private final NDManager manager;
    private final Parameters params;
    private final VisionTransformer encoder;
    private final WspClassifier classifier;
    private final MaskedAutoencoder autoencoder;

    private ServingModel(CheckpointManifest manifest, NDManager manager, Parameters params, VisionTransformer encoder,
            WspClassifier classifier, MaskedAutoencoder autoencoder) {
        this.manifest = manifest;
        this.manager = manager;
        this.params = params;
        this.encoder = encoder;
        this.classifier = classifier;
        this.autoencoder = autoencoder;
    }

    /** Loads a complete checkpoint onto {@code device}. */
    public static ServingModel load(CheckpointFiles files, Device device) throws IOException {
        CheckpointManifest m = Checkpoint.readManifest(files);
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Parameters p = new Parameters(manager, 0);
            VisionTransformer encoder;
            WspClassifier classifier = null;
            MaskedAutoencoder autoencoder = null;
            if ("WSP".equals(m.stage())) {
                classifier = new WspClassifier(p, m.model(), m.vocabularySize());
                encoder = classifier.encoder();
            } else if ("MAE".equals(m.stage())) {
                autoencoder = new MaskedAutoencoder(p, m.model(), true); // the trainer's norm-pix loss
                encoder = autoencoder.encoder();
            } else {
                throw new Checkpoint.CheckpointException("unknown stage \"" + m.stage() + "\" in the manifest");
            }
            Checkpoint.load(files, p, null);
            return new ServingModel(m, manager, p, encoder, classifier, autoencoder);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public CheckpointManifest manifest() {
        return manifest;
    }

    public VitConfig config() {
        return manifest.model();
    }

    /** Whether {@link #probabilities} is available (a WSP head). */
    public boolean hasHead() {
        return classifier != null;
    }

    /**
     * Feature vectors of n images.
     *
     * @param pixels n x (C, S, S) floats, normalised as in training
     * @param pooling null = the model's own
     */
    public float[][] embed(float[] pixels, int n, VitConfig.Pooling pooling, boolean normalize) {
        GradMode.off();
        try (NDScope scope = new NDScope(); NDManager call = manager.newSubManager()) {
            NDArray imgs = Images.batch(call, pixels, n, config()); // (N, C, H, W)
            NDArray features = encoder.pool(encoder.forward(imgs), pooling == null ? config().pooling() : pooling); // (N, D)
            if (normalize) {
                NDArray norm = features.square().sum(new int[] {1}, true).sqrt().maximum(HostArrays.scalar(call, 1e-12f));
                features = features.div(norm);
            }
            return rows(features.toFloatArray(), n);
        }
    }

    /**
     * Multi-block features of n images, the linear evaluation of DINO: for each of the last
     * {@code blocks} blocks, oldest first, its cls token and the mean of its patch tokens (each block
     * through the final norm): (n, 2 * blocks * D). The last block's pair holds both poolings of
     * {@link #embed}: cls at {@code [2(blocks-1)D, (2 blocks-1)D)}, mean in the last D values.
     *
     * @param pixels n x (C, S, S) floats, normalised as in training
     */
    public float[][] embedBlocks(float[] pixels, int n, int blocks) {
        if (blocks < 1 || blocks > config().depth()) {
            throw new IllegalArgumentException("blocks must be in [1, " + config().depth() + "] (the model's depth), got "
                    + blocks);
        }
        GradMode.off();
        try (NDScope scope = new NDScope(); NDManager call = manager.newSubManager()) {
            NDList parts = new NDList();
            for (NDArray tokens : encoder.forwardLastBlocks(Images.batch(call, pixels, n, config()), blocks)) { // (N, 1 + L, D)
                parts.add(encoder.pool(tokens, VitConfig.Pooling.CLS)); // (N, D)
                parts.add(encoder.pool(tokens, VitConfig.Pooling.MEAN)); // (N, D)
            }
            return rows(NDArrays.concat(parts, 1).toFloatArray(), n); // (N, 2 * blocks * D)
        }
    }

    /** Softmax over the WSP vocabulary for n images: (n, V). */
    public float[][] probabilities(float[] pixels, int n) {
        if (classifier == null) {
            throw new IllegalStateException("checkpoint stage " + manifest.stage() + " has no classification head");
        }
        GradMode.off();
        try (NDScope scope = new NDScope(); NDManager call = manager.newSubManager()) {
            NDArray logits = classifier.forward(Images.batch(call, pixels, n, config())); // (N, V)
            return rows(logits.softmax(1).toFloatArray(), n);
        }
    }

    /**
     * MAE reconstructions of n images (MAE checkpoints only): {masked input, reconstruction}, each
     * n x (C, S, S) floats in the input's normalisation; the mask is drawn from {@code seed}.
     */
    public float[][] reconstruct(float[] pixels, int n, double maskRatio, long seed) {
        if (autoencoder == null) {
            throw new IllegalStateException("checkpoint stage " + manifest.stage() + " has no MAE decoder");
        }
        GradMode.off();
        try (NDScope scope = new NDScope(); NDManager call = manager.newSubManager()) {
            MaskedAutoencoder.Reconstruction r = autoencoder.reconstruct(Images.batch(call, pixels, n, config()), maskRatio,
                    new java.util.Random(seed));
            return new float[][] {r.masked().toFloatArray(), r.reconstructed().toFloatArray()};
        }
    }

    /** Live NDArrays of this model (parameters plus anything leaked): flat over a long run. */
    public int liveArrays() {
        return params.liveArrays();
    }

    private static float[][] rows(float[] flat, int n) {
        int d = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
