package dev.maws.model.probe;

import java.util.Random;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.nn.GradMode;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.LrSchedule;
import dev.maws.model.optim.TrainingStep;

/**
 * Trains a {@link LinearProbe} on frozen features and scores other features with it: the linear
 * and few-shot evaluations of MAE (main_linprobe), with AdamW and a cosine schedule instead of
 * LARS (the features are few and small here). Everything it allocates lives in one manager that is
 * closed before it returns, so a long series of fits leaves no NDArray behind.
 */
public final class ProbeFit {
    private ProbeFit() {}

    /**
     * How a probe is trained. Epochs run over the training features in a seeded order; at least
     * {@code minSteps} optimizer steps run however few features there are (a 1-shot probe has ten).
     */
    public record Settings(int epochs, int batchSize, int minSteps, double lr, double weightDecay, long seed) {
        public Settings {
            if (epochs < 1 || batchSize < 2 || minSteps < 0 || !(lr > 0) || weightDecay < 0) {
                throw new IllegalArgumentException("bad probe settings: epochs " + epochs + ", batch " + batchSize
                        + ", min steps " + minSteps + ", lr " + lr + ", weight decay " + weightDecay);
            }
        }

        public Settings withSeed(long newSeed) {
            return new Settings(epochs, batchSize, minSteps, lr, weightDecay, newSeed);
        }
    }

    /**
     * @param train training features (n, D), n >= 2
     * @param labels class index of each training feature, in [0, classes)
     * @param score features to classify with the trained probe (m, D)
     * @return logits (m, classes)
     */
    public static float[][] fitAndScore(Device device, float[][] train, int[] labels, int classes, float[][] score,
            Settings s) {
        int n = train.length;
        if (n < 2 || labels.length != n) {
            throw new IllegalArgumentException("a probe needs >= 2 training features with one label each; got " + n
                    + " features and " + labels.length + " labels");
        }
        int dim = train[0].length;
        int batch = Math.min(s.batchSize(), n);
        int perEpoch = n / batch; // full batches only: batch norm sees the same batch size every step
        long steps = Math.max((long) s.epochs() * perEpoch, s.minSteps());
        LrSchedule schedule = new LrSchedule(s.lr(), 0, Math.min(steps / 10, 100), steps);
        float[] flat = flatten(train, dim);
        try (NDManager m = NDManager.newBaseManager(device); Parameters p = new Parameters(m, s.seed())) {
            LinearProbe probe = new LinearProbe(p, dim, classes);
            AdamW adamW = new AdamW(p, 0.9, 0.999, 1e-8, s.weightDecay(), 0);
            Random order = new Random(s.seed());
            int[] perm = identity(n);
            float[] x = new float[batch * dim];
            int[] y = new int[batch];
            for (long step = 0; step < steps; step++) {
                int at = (int) (step % perEpoch) * batch;
                if (at == 0) {
                    shuffle(perm, order);
                }
                for (int i = 0; i < batch; i++) {
                    System.arraycopy(flat, perm[at + i] * dim, x, i * dim, dim);
                    y[i] = labels[perm[at + i]];
                }
                TrainingStep.run(p, sm -> LinearProbe.loss(probe.forward(HostArrays.floats(sm, x, new Shape(batch, dim)), true), y),
                        adamW, schedule.at(step));
            }
            return score(probe, m, score, dim);
        }
    }

    private static float[][] score(LinearProbe probe, NDManager m, float[][] features, int dim) {
        GradMode.off();
        float[][] out = new float[features.length][];
        int chunk = 4096;
        for (int from = 0; from < features.length; from += chunk) {
            int to = Math.min(features.length, from + chunk);
            try (NDScope scope = new NDScope(); NDManager call = m.newSubManager()) {
                float[][] part = java.util.Arrays.copyOfRange(features, from, to);
                NDArray logits = probe.forward(HostArrays.floats(call, flatten(part, dim), new Shape(to - from, dim)), false); // (m, C)
                float[] v = logits.toFloatArray();
                int c = v.length / (to - from);
                for (int i = from; i < to; i++) {
                    out[i] = java.util.Arrays.copyOfRange(v, (i - from) * c, (i - from + 1) * c);
                }
            }
        }
        return out;
    }

    private static float[] flatten(float[][] rows, int dim) {
        float[] flat = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dim) {
                throw new IllegalArgumentException("feature " + i + " has " + rows[i].length + " values, expected " + dim);
            }
            System.arraycopy(rows[i], 0, flat, i * dim, dim);
        }
        return flat;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
