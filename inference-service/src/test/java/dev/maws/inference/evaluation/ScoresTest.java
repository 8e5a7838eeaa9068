package dev.maws.inference.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ScoresTest {

    @Test
    void topOneAndTopFiveRankTiesTheSameWay() {
        float[] flat = new float[10]; // every class scored alike, e.g. zero-shot classes that resolved to nothing
        float[] clear = {0.1f, 0.2f, 0.05f, 0.3f, 0.01f, 0.02f, 0.03f, 0.04f, 0.15f, 0.1f};
        Scores s = Scores.of(new float[][] {flat, flat, clear, clear}, new int[] {2, 7, 8, 4}, 10);
        // flat: argmax is class 0; label 2 has two classes ranked above it (top-5 hit), label 7 has seven (miss)
        // clear: label 8 (0.15) is third (hit), label 4 (0.01) last (miss)
        assertEquals(0.0, s.top1());
        assertEquals(0.5, s.top5());
        assertEquals(1, s.confusion()[7][0]);
        assertEquals(1, s.confusion()[8][3]);
    }

    @Test
    void theBestScoredClassIsThePrediction() {
        Scores s = Scores.of(new float[][] {{0.1f, 0.9f}, {0.8f, 0.2f}, {0.4f, 0.6f}}, new int[] {1, 0, 0}, 2);
        assertEquals(2 / 3.0, s.top1(), 1e-12);
        assertEquals(null, s.top5(), "two classes: no top-5");
        assertEquals(0.5, s.perClassRecall()[0]);
        assertEquals(1.0, s.perClassRecall()[1]);
    }
}
