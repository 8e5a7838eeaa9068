package dev.maws.model.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.TinyConfigs;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;

class LinearProbeTest {
    static {
        TinyConfigs.micro(); // starts the engine
    }

    /** Three classes, each a shifted Gaussian blob in 8-d, scaled far from unit variance. */
    private static float[] blobs(int n, int[] labels, Random r) {
        float[] x = new float[n * 8];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int d = 0; d < 8; d++) {
                x[i * 8 + d] = (float) (50 + 20 * (d == labels[i] ? 3 : 0) + 10 * r.nextGaussian());
            }
        }
        return x;
    }

    @Test
    void learnsSeparableFeaturesAndEvaluatesWithRunningStatistics() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            LinearProbe probe = new LinearProbe(p, 8, 3);
            AdamW adamW = AdamW.mae(p, 0.0, 0);
            Random r = new Random(4);
            for (int step = 0; step < 200; step++) {
                int[] labels = new int[64];
                float[] x = blobs(64, labels, r);
                TrainingStep.run(p, s -> LinearProbe.loss(probe.forward(s.create(x, new Shape(64, 8)), true), labels), adamW, 1e-2);
            }
            int[] labels = new int[300];
            float[] x = blobs(300, labels, new Random(99));
            NDArray logits = probe.forward(m.create(x, new Shape(300, 8)), false);
            long[] predicted = logits.argMax(1).toLongArray();
            int correct = 0;
            for (int i = 0; i < predicted.length; i++) {
                correct += predicted[i] == labels[i] ? 1 : 0;
            }
            assertTrue(correct >= 290, "probe accuracy " + correct + "/300");
            // evaluation is deterministic per sample: one image alone gets the same logits as in the batch
            NDArray single = probe.forward(m.create(java.util.Arrays.copyOf(x, 8), new Shape(1, 8)), false);
            assertEquals(logits.get(0).getFloat(0), single.get(0).getFloat(0), 1e-4f);
        }
    }
}
