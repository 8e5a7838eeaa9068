package dev.maws.model.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import dev.maws.model.TinyConfigs;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

/**
 * 1,000 training steps must not leave NDArrays behind (asserted), nor grow the process (RSS is
 * printed; ./bench model measures it properly on bigger models).
 */
class LongRunMemoryTest {
    private final VitConfig config = TinyConfigs.micro();

    @Test
    void aThousandStepsLeaveTheLiveArrayCountFlat() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Parameters maeParams = new Parameters(m, 1);
                Parameters wspParams = new Parameters(m, 2)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(maeParams, config, true);
            WspClassifier wsp = new WspClassifier(wspParams, config, 10);
            AdamW maeOpt = AdamW.mae(maeParams, 0.05, 1.0);
            AdamW wspOpt = AdamW.mae(wspParams, 0.05, 1.0);
            Random random = new Random(1);
            float[] px = TinyConfigs.images(8, 2);
            int[][] labels = {{0}, {1, 2}, {3}, {4}, {5, 6, 7}, {8}, {9}, {0, 9}};
            int[] afterWarmup = null;
            long rssAfterWarmup = 0;
            long heapAfterWarmup = 0;
            for (int step = 1; step <= 1000; step++) {
                TrainingStep.run(maeParams, s -> mae.forward(Images.batch(s, px, 8, config), 0.75, random).loss(), maeOpt, 1e-4);
                if (step % 2 == 0) {
                    TrainingStep.run(wspParams, s -> wsp.forwardLoss(wsp.forward(Images.batch(s, px, 8, config)),
                            wsp.targets(s, labels, 0.1f)), wspOpt, 1e-4);
                }
                if (step == 50) {
                    afterWarmup = counts(m);
                    rssAfterWarmup = rssKb();
                    heapAfterWarmup = Runtime.getRuntime().totalMemory() / 1024;
                }
            }
            int[] end = counts(m);
            long heapKb = Runtime.getRuntime().totalMemory() / 1024;
            long rss = rssKb();
            // RSS minus the committed Java heap approximates native memory (PyTorch, malloc arenas)
            System.out.printf("live NDArrays (ours, system): step 50 %d, %d; step 1000 %d, %d. RSS: step 50 %d MB, step 1000 %d MB;"
                    + " RSS minus committed heap: %d MB -> %d MB%n", afterWarmup[0], afterWarmup[1], end[0], end[1],
                    rssAfterWarmup / 1024, rss / 1024, (rssAfterWarmup - heapAfterWarmup) / 1024, (rss - heapKb) / 1024);
            assertEquals(afterWarmup[0], end[0], "NDArrays of the models leaked");
            assertEquals(afterWarmup[1], end[1], "NDArrays of the system manager leaked");
        }
    }

    private static int[] counts(NDManager root) {
        return new int[] {((BaseNDManager) root).getManagedArrays().size(),
            ((BaseNDManager) root.getParentManager()).getManagedArrays().size()}; // the engine's system manager
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
