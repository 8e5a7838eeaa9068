package dev.maws.model.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two worker processes on loopback (Gloo, one intra-op thread each) train 20 steps of tiny-28 and end
 * where one process on the same global batch ends: the same losses, the same parameters, within float
 * rounding of the all-reduced sums.
 */
class DistributedTrainingTest {
    static final int STEPS = 20;
    @TempDir
    Path tmp;

    private List<Process> launch(String stage, int world) throws IOException {
        return Workers.start(TrainingWorker.class, world, tmp, stage + "-" + world, stage, Integer.toString(STEPS),
                tmp.resolve(stage + "-" + world).toString());
    }

    private void finish(List<Process> procs, String stage, int world) throws Exception {
        for (int rank = 0; rank < procs.size(); rank++) {
            Process p = procs.get(rank);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), stage + " worker " + rank + " of " + world + " did not finish");
            assertEquals(0, p.exitValue(), Files.readString(tmp.resolve(stage + "-" + world + "-" + rank + ".log")));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"wsp", "mae"})
    void twoProcessesTrainLikeOneOnTheSameGlobalBatch(String stage) throws Exception {
        List<Process> one = launch(stage, 1);
        finish(one, stage, 1);
        List<Process> two = launch(stage, 2);
        finish(two, stage, 2);

        float[] single = TrainingWorker.read(tmp.resolve(stage + "-1-0.bin"));
        float[] rank0 = TrainingWorker.read(tmp.resolve(stage + "-2-0.bin"));
        float[] rank1 = TrainingWorker.read(tmp.resolve(stage + "-2-1.bin"));
        assertEquals(single.length, rank0.length);
        for (int i = 0; i < rank0.length; i++) {
            assertEquals(rank0[i], rank1[i], 0f, "both workers hold the same value " + i);
        }
        for (int s = 0; s < STEPS; s++) {
            assertEquals(single[s], rank0[s], 1e-4f * Math.max(1f, Math.abs(single[s])), stage + " loss of step " + s);
        }
        // Adam moves every element by about lr a step whatever its gradient's size, so an element whose
        // gradient is near zero can take a different sign from the different order of the sums: the
        // largest difference is bounded by a step (lr 1e-3); the parameters as a whole agree far closer
        double maxDiff = 0;
        double diff2 = 0;
        double norm2 = 0;
        for (int i = STEPS; i < single.length; i++) {
            double d = single[i] - rank0[i];
            maxDiff = Math.max(maxDiff, Math.abs(d));
            diff2 += d * d;
            norm2 += (double) single[i] * single[i];
        }
        double relative = Math.sqrt(diff2 / norm2);
        System.out.printf("%s: 2 processes vs 1 after %d steps: max |diff| %.3g, ||diff|| / ||params|| %.3g%n", stage, STEPS,
                maxDiff, relative);
        assertTrue(maxDiff <= 1e-3, stage + ": a parameter differs by " + maxDiff + ", more than one Adam step");
        assertTrue(relative <= 1e-5, stage + ": the parameters differ by " + relative + " of their norm");
        assertTrue(single[STEPS - 1] < single[0], stage + " learned nothing: " + single[0] + " -> " + single[STEPS - 1]);
    }
}
