package dev.maws.model.probe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.nn.Linear;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.Scalars;

/**
 * The linear probe of MAE's main_linprobe: BatchNorm without affine parameters (eps 1e-6, momentum
 * 0.1) then a linear layer, trained on frozen features. In training mode the batch's statistics
 * normalise and update the running ones; in evaluation mode the running ones are used.
 */
public final class LinearProbe {
    private static final float EPS = 1e-6f;
    private static final float MOMENTUM = 0.1f;

    private final Linear head;
    private final NDArray runningMean; // (D), not trainable
    private final NDArray runningVar; // (D), not trainable

    public LinearProbe(Parameters p, int featureDim, int classes) {
        if (featureDim <= 0 || classes < 2) {
            throw new IllegalArgumentException("a probe needs features (got " + featureDim + ") and >= 2 classes (got "
                    + classes + ")");
        }
        this.head = new Linear(p, "probe.head", featureDim, classes);
        this.runningMean = p.buffer("probe.bn.running_mean", new float[featureDim], new Shape(featureDim));
        float[] ones = new float[featureDim];
        java.util.Arrays.fill(ones, 1f);
        this.runningVar = p.buffer("probe.bn.running_var", ones, new Shape(featureDim));
    }

    /** features (N, D), frozen (no gradient needed) -> logits (N, classes). */
    public NDArray forward(NDArray features, boolean training) {
        NDArray normalized;
        if (training) {
            long n = features.getShape().get(0);
            if (n < 2) {
                throw new IllegalArgumentException("batch norm in training needs at least 2 samples, got " + n);
            }
            NDArray mean = features.mean(new int[] {0});
            NDArray centered = features.sub(mean);
            NDArray var = centered.square().mean(new int[] {0}); // biased, to normalise (as torch)
            normalized = centered.div(var.add(Scalars.of(features, EPS)).sqrt());
            updateRunning(mean.stopGradient(), var.stopGradient(), n);
        } else {
            // the features' scalar first: every intermediate belongs to the caller's manager
            normalized = features.sub(runningMean).div(Scalars.of(features, EPS).add(runningVar).sqrt());
        }
        return head.forward(normalized);
    }

    /** Softmax cross-entropy with hard labels: logits (N, C), labels (N) -> mean loss. */
    public static NDArray loss(NDArray logits, int[] labels) {
        NDManager m = logits.getManager();
        long classes = logits.getShape().get(1);
        float[] oneHot = new float[Math.toIntExact(labels.length * classes)];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " outside [0, " + classes + ")");
            }
            oneHot[Math.toIntExact(i * classes + labels[i])] = 1f;
        }
        return logits.logSoftmax(1).mul(HostArrays.floats(m, oneHot, logits.getShape())).sum(new int[] {1}).neg().mean();
    }

    /** Runs inside a training step's scope, which frees the temporaries made here. */
    private void updateRunning(NDArray batchMean, NDArray batchVar, long n) {
        // running = (1 - momentum) running + momentum batch; the variance unbiased, as torch
        NDArray unbiased = batchVar.mul(Scalars.of(batchVar, n / (float) (n - 1)));
        runningMean.muli(Scalars.of(runningMean, 1 - MOMENTUM)).addi(batchMean.mul(Scalars.of(batchMean, MOMENTUM)));
        runningVar.muli(Scalars.of(runningVar, 1 - MOMENTUM)).addi(unbiased.mul(Scalars.of(unbiased, MOMENTUM)));
    }
}
