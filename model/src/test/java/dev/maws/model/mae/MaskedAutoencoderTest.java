package dev.maws.model.mae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.maws.model.TinyConfigs;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.vit.VitConfig;

class MaskedAutoencoderTest {
    private final VitConfig config = TinyConfigs.micro();

    @Test
    void maskingKeepsExactlyAQuarterAndRestoreInvertsTheShuffle() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            int n = 6;
            int l = config.numPatches();
            MaskedAutoencoder.Masking masking = mae.randomMasking(m, n, 0.75, new Random(3));
            int keep = l / 4;
            assertEquals(new Shape(n, keep), masking.idsKeep().getShape());
            long[] keepIds = masking.idsKeep().toLongArray();
            long[] restore = masking.idsRestore().toLongArray();
            float[] mask = masking.mask().toFloatArray();
            long[] shuffle = masking.idsRestore().argSort(1).toLongArray();
            Set<String> distinctMasks = new HashSet<>();
            for (int i = 0; i < n; i++) {
                // restore is a permutation, and shuffle[restore[j]] == j
                long[] row = Arrays.copyOfRange(restore, i * l, (i + 1) * l);
                assertArrayEquals(java.util.stream.LongStream.range(0, l).toArray(), Arrays.stream(row).sorted().toArray());
                for (int j = 0; j < l; j++) {
                    assertEquals(j, shuffle[i * l + (int) row[j]]);
                }
                // the kept ids are the first `keep` of the shuffle, and exactly they are 0 in the mask
                float removed = 0;
                for (int k = 0; k < keep; k++) {
                    assertEquals(shuffle[i * l + k], keepIds[i * keep + k]);
                    assertEquals(0f, mask[i * l + (int) keepIds[i * keep + k]]);
                }
                for (int j = 0; j < l; j++) {
                    removed += mask[i * l + j];
                }
                assertEquals(l - keep, removed);
                distinctMasks.add(Arrays.toString(Arrays.copyOfRange(mask, i * l, (i + 1) * l)));
            }
            assertEquals(n, distinctMasks.size(), "every sample gets its own mask");
        }
    }

    @Test
    void maskRatioOutsideTheOpenIntervalIsRefused() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            assertThrows(IllegalArgumentException.class, () -> mae.keepCount(1.0));
            assertThrows(IllegalArgumentException.class, () -> mae.keepCount(0.0));
            assertEquals(4, mae.keepCount(0.75));
        }
    }

    @Test
    void patchifyAndUnpatchifyAreInverse() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            NDArray imgs = Images.batch(m, TinyConfigs.images(3, 5), 3, config);
            NDArray patches = mae.encoder().patchify(imgs);
            assertEquals(new Shape(3, 16, 4), patches.getShape());
            // patch 1 of image 0 = rows 0-1, columns 2-3
            float[] px = imgs.toFloatArray();
            assertArrayEquals(new float[] {px[2], px[3], px[10], px[11]}, patches.get(0, 1).toFloatArray());
            assertArrayEquals(px, mae.encoder().unpatchify(patches).toFloatArray());
        }
    }

    @Test
    void aSampleIsMaskedByItsOwnRowOfNoiseWhateverBatchItIsIn() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            int l = config.numPatches();
            float[] noise = new float[2 * l];
            Random r = new Random(4);
            for (int i = 0; i < noise.length; i++) {
                noise[i] = r.nextFloat();
            }
            float[] all = mae.randomMasking(m, 2, 0.75, noise).mask().toFloatArray();
            float[] second = mae.randomMasking(m, 1, 0.75, java.util.Arrays.copyOfRange(noise, l, 2 * l)).mask()
                    .toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(all, l, 2 * l), second);
            // the Random form is this one over the noise it draws
            float[] drawn = mae.randomMasking(m, 2, 0.75, new Random(4)).mask().toFloatArray();
            assertArrayEquals(all, drawn);
            assertThrows(IllegalArgumentException.class, () -> mae.randomMasking(m, 3, 0.75, noise));
        }
    }

    @Test
    void theLossIgnoresVisiblePatches() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            NDArray imgs = Images.batch(m, TinyConfigs.images(2, 5), 2, config);
            MaskedAutoencoder.Output out = mae.forward(imgs, 0.75, new Random(9));
            float loss = out.loss().getFloat();
            // push the prediction of visible patches far away: no change; of one masked patch: change
            NDArray visible = out.mask().neg().add(m.create(1f)).expandDims(2); // 1 where kept
            float same = mae.forwardLoss(imgs, out.pred().add(visible.mul(m.create(100f))), out.mask()).getFloat();
            assertEquals(loss, same, 1e-6f);
            NDArray removed = out.mask().expandDims(2);
            float different = mae.forwardLoss(imgs, out.pred().add(removed.mul(m.create(1f))), out.mask()).getFloat();
            assertNotEquals(loss, different, 1e-3f);
        }
    }

    @Test
    void gradientsReachEveryTrainableParameter() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray imgs = Images.batch(m, TinyConfigs.images(4, 5), 4, config);
                gc.backward(mae.forward(imgs, 0.75, new Random(1)).loss());
            }
            for (Parameters.Parameter param : p.all()) {
                float norm = param.array().getGradient().abs().sum().getFloat();
                assertTrue(norm > 0, "no gradient reaches " + param.name());
            }
            assertTrue(p.all().size() > 20);
        }
    }

    @Test
    void aTinyBatchCanBeOverfitted() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.0, 0);
            float[] px = TinyConfigs.images(4, 11);
            float first = 0;
            float last = 0;
            for (int step = 0; step < 300; step++) {
                // the same masks every step: the decoder can learn the hidden pixels of these images
                float loss = TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 4, config), 0.75, new Random(7)).loss(),
                        adamW, 2e-3).loss();
                if (step == 0) {
                    first = loss;
                }
                last = loss;
            }
            assertTrue(last < 0.1f * first, "MAE loss fell from " + first + " only to " + last);
        }
    }
}
