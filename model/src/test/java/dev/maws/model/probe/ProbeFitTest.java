package dev.maws.model.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.Device;
import dev.maws.model.TinyConfigs;

class ProbeFitTest {
    static {
        TinyConfigs.micro(); // starts the engine
    }

    private static final ProbeFit.Settings SETTINGS = new ProbeFit.Settings(5, 32, 300, 3e-2, 0, 7);

    /** Four classes, each a Gaussian blob shifted along its own axis, far from unit scale. */
    private static float[][] blobs(int n, int[] labels, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][16];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 4;
            for (int d = 0; d < 16; d++) {
                x[i][d] = (float) (100 + 30 * (d == labels[i] ? 2 : 0) + 15 * r.nextGaussian());
            }
        }
        return x;
    }

    private static int correct(float[][] logits, int[] labels) {
        int ok = 0;
        for (int i = 0; i < logits.length; i++) {
            int best = 0;
            for (int c = 1; c < logits[i].length; c++) {
                best = logits[i][c] > logits[i][best] ? c : best;
            }
            ok += best == labels[i] ? 1 : 0;
        }
        return ok;
    }

    @Test
    void fitsOnManyOrFewFeaturesAndRepeatsPerSeed() {
        int[] trainY = new int[400];
        float[][] train = blobs(400, trainY, 1);
        int[] testY = new int[200];
        float[][] test = blobs(200, testY, 2);
        float[][] logits = ProbeFit.fitAndScore(Device.cpu(), train, trainY, 4, test, SETTINGS);
        assertTrue(correct(logits, testY) >= 190, "linear probe " + correct(logits, testY) + "/200");

        // 2-shot: eight features in 16-d; at least twice chance (50 of 200) thanks to the minimum step count
        float[][] few = java.util.Arrays.copyOf(train, 8);
        int[] fewY = java.util.Arrays.copyOf(trainY, 8);
        float[][] fewLogits = ProbeFit.fitAndScore(Device.cpu(), few, fewY, 4, test, SETTINGS);
        assertTrue(correct(fewLogits, testY) >= 100, "2-shot probe " + correct(fewLogits, testY) + "/200");

        float[][] again = ProbeFit.fitAndScore(Device.cpu(), few, fewY, 4, test, SETTINGS);
        for (int i = 0; i < test.length; i++) {
            assertArrayEquals(fewLogits[i], again[i], "same seed, same probe: row " + i);
        }
    }

    @Test
    void refusesTooFewFeatures() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProbeFit.fitAndScore(Device.cpu(), new float[][] {{1f}}, new int[] {0}, 2, new float[][] {{1f}}, SETTINGS));
        assertTrue(e.getMessage().contains(">= 2 training features"), e.getMessage());
    }
}
