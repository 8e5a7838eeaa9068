package dev.maws.model.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.maws.model.TinyConfigs;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

/**
 * Two replicas (both on the CPU here; on GPUs in production) must train exactly like one model on
 * the whole batch: same losses, same parameters, up to float rounding of the summed gradients.
 */
class DataParallelTest {
    private final VitConfig config = TinyConfigs.micro();
    private final float[] px = TinyConfigs.images(6, 4);
    private final int[][] labels = {{0}, {1, 2}, {3}, {4}, {0, 4}, {2}};

    private float[] shard(float[] all, int from, int to) {
        int per = config.channels() * config.imageSize() * config.imageSize();
        return Arrays.copyOfRange(all, from * per, to * per);
    }

    @Test
    void wspOnTwoReplicasEqualsOneModelOnTheWholeBatch() {
        float[] single = new float[3];
        float[] singleWeights;
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 5)) {
            WspClassifier wsp = new WspClassifier(p, config, 5);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            for (int i = 0; i < 3; i++) {
                single[i] = TrainingStep.run(p, s -> wsp.forwardLoss(wsp.forward(Images.batch(s, px, 6, config)),
                        wsp.targets(s, labels, 0.1f)), adamW, 1e-3).loss();
            }
            singleWeights = p.get("encoder.blocks.1.mlp.fc2.weight").array().toFloatArray();
        }
        try (DataParallel<WspClassifier> dp = new DataParallel<>(List.of(Device.cpu(), Device.cpu()), 5,
                params -> new WspClassifier(params, config, 5))) {
            AdamW adamW = AdamW.mae(dp.parameters(0), 0.05, 1.0);
            for (int i = 0; i < 3; i++) {
                float loss = dp.step((wsp, s, from, to) -> wsp.forwardLoss(
                        wsp.forward(Images.batch(s, shard(px, from, to), to - from, config)),
                        wsp.targets(s, Arrays.copyOfRange(labels, from, to), 0.1f)), 6, adamW, 1e-3).loss();
                assertEquals(single[i], loss, 1e-5f, "step " + i);
            }
            assertArrayEquals(singleWeights, dp.parameters(0).get("encoder.blocks.1.mlp.fc2.weight").array().toFloatArray(), 1e-5f);
            // every replica holds the updated values
            assertArrayEquals(dp.parameters(0).get("head.weight").array().toFloatArray(),
                    dp.parameters(1).get("head.weight").array().toFloatArray());
        }
    }

    @Test
    void aBatchSmallerThanTheReplicasIsRefusedInsteadOfLearningNothing() {
        try (DataParallel<WspClassifier> dp = new DataParallel<>(List.of(Device.cpu(), Device.cpu()), 5,
                params -> new WspClassifier(params, config, 5))) {
            AdamW adamW = AdamW.mae(dp.parameters(0), 0.05, 1.0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dp.step((wsp, s, from, to) -> wsp
                    .forwardLoss(wsp.forward(Images.batch(s, shard(px, from, to), to - from, config)),
                            wsp.targets(s, Arrays.copyOfRange(labels, from, to), 0.1f)), 1, adamW, 1e-3));
            assertEquals("a batch of 1 samples cannot be split over 2 devices; use a batch of at least 2", e.getMessage());
        }
    }

    @Test
    void maeOnTwoReplicasEqualsOneModelOnTheWholeBatch() {
        float[] single = new float[2];
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 5)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 0);
            Random masks = new Random(8);
            for (int i = 0; i < 2; i++) {
                single[i] = TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 6, config), 0.75, masks).loss(), adamW, 1e-3)
                        .loss();
            }
        }
        try (DataParallel<MaskedAutoencoder> dp = new DataParallel<>(List.of(Device.cpu(), Device.cpu()), 5,
                params -> new MaskedAutoencoder(params, config, true))) {
            AdamW adamW = AdamW.mae(dp.parameters(0), 0.05, 0);
            // shard 0 draws its noise first, then shard 1: the same sequence as the whole batch
            Random masks = new Random(8);
            for (int i = 0; i < 2; i++) {
                float loss = dp.step((mae, s, from, to) -> mae.forward(
                        Images.batch(s, shard(px, from, to), to - from, config), 0.75, masks).loss(), 6, adamW, 1e-3).loss();
                assertEquals(single[i], loss, 1e-5f, "step " + i);
            }
        }
    }
}
