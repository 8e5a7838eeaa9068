package dev.maws.model.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.maws.model.TinyConfigs;
import dev.maws.model.checkpoint.Checkpoint;
import dev.maws.model.checkpoint.CheckpointFiles;
import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

class ServingModelTest {
    private final VitConfig config = TinyConfigs.micro(); // depth 2, width 32

    private ServingModel saved(Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Parameters p = new Parameters(m, 7);
            new WspClassifier(p, config, 5);
            Checkpoint.save(CheckpointFiles.directory(dir), p, null, new CheckpointManifest(CheckpointManifest.FORMAT,
                    "WSP", config, 5, "v1", 1, 1.0, Map.of(), Map.of(), null, null));
        }
        return ServingModel.load(CheckpointFiles.directory(dir), Device.cpu());
    }

    @Test
    void theLastBlockOfTheMultiBlockFeaturesHoldsBothPoolings(@TempDir Path dir) throws Exception {
        int n = 3;
        int d = config.width();
        float[] px = TinyConfigs.images(n, 11);
        try (ServingModel model = saved(dir)) {
            float[][] cls = model.embed(px, n, VitConfig.Pooling.CLS, false);
            float[][] mean = model.embed(px, n, VitConfig.Pooling.MEAN, false);
            for (int blocks = 1; blocks <= config.depth(); blocks++) {
                float[][] multi = model.embedBlocks(px, n, blocks);
                int last = 2 * (blocks - 1) * d;
                for (int i = 0; i < n; i++) {
                    assertEquals(2 * blocks * d, multi[i].length);
                    assertArrayEquals(cls[i], Arrays.copyOfRange(multi[i], last, last + d), 1e-5f, "cls of image " + i);
                    assertArrayEquals(mean[i], Arrays.copyOfRange(multi[i], last + d, last + 2 * d), 1e-5f, "mean of image " + i);
                }
            }
            // the earlier block's features are its own, not a copy of the last block's
            float[][] two = model.embedBlocks(px, n, 2);
            assertTrue(!Arrays.equals(Arrays.copyOfRange(two[0], 0, 2 * d), Arrays.copyOfRange(two[0], 2 * d, 4 * d)));
            int live = model.liveArrays();
            model.embedBlocks(px, n, 2);
            assertEquals(live, model.liveArrays(), "embedBlocks leaves nothing behind");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.embedBlocks(px, n, 3));
            assertTrue(e.getMessage().contains("[1, 2]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.embedBlocks(px, n, 0));
        }
    }
}
