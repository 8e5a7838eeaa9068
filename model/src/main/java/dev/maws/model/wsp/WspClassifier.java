package dev.maws.model.wsp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VisionTransformer;
import dev.maws.model.vit.VitConfig;

/**
 * Weakly-supervised pretraining: the ViT encoder and a linear head over the label vocabulary, trained
 * with softmax cross-entropy against 1/k on each of an image's k synsets (MAWS, after SWAG).
 */
public final class WspClassifier {
    public static final String HEAD_PREFIX = "head";

    private final VisionTransformer encoder;
    private final Linear head;
    private final int vocabularySize;

    public WspClassifier(Parameters p, VitConfig config, int vocabularySize) {
        if (vocabularySize < 2) {
            throw new IllegalArgumentException("a WSP head needs a vocabulary of at least 2 synsets, got " + vocabularySize);
        }
        this.encoder = new VisionTransformer(p, config);
        this.head = new Linear(p, HEAD_PREFIX, config.width(), vocabularySize);
        this.vocabularySize = vocabularySize;
    }

    public VisionTransformer encoder() {
        return encoder;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** imgs: (N, C, H, W) -> logits (N, V). */
    public NDArray forward(NDArray imgs) {
        NDArray tokens = encoder.forward(imgs);
        return head.forward(encoder.pool(tokens, encoder.config().pooling()));
    }

    /**
     * Soft targets (N, V): 1/k on each of the k labels of an image, then label smoothing
     * {@code (1 - eps) t + eps / V}. Every image needs at least one label in [0, V).
     */
    public NDArray targets(NDManager m, int[][] labels, float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        float[] t = new float[labels.length * vocabularySize];
        for (int i = 0; i < labels.length; i++) {
            int[] ls = java.util.Arrays.stream(labels[i]).distinct().toArray();
            if (ls.length == 0) {
                throw new IllegalArgumentException("image " + i + " of the batch has no label");
            }
            for (int label : ls) {
                if (label < 0 || label >= vocabularySize) {
                    throw new IllegalArgumentException("label " + label + " outside the vocabulary [0, " + vocabularySize + ")");
                }
                t[i * vocabularySize + label] = 1f / ls.length;
            }
        }
        if (labelSmoothing > 0) {
            for (int i = 0; i < t.length; i++) {
                t[i] = (1 - labelSmoothing) * t[i] + labelSmoothing / vocabularySize;
            }
        }
        return HostArrays.floats(m, t, new Shape(labels.length, vocabularySize));
    }

    /** logits (N, V), targets (N, V) -> mean over the batch of -sum(t * log softmax(logits)). */
    public NDArray forwardLoss(NDArray logits, NDArray targets) {
        return logits.logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mean();
    }
}
