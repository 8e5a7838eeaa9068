package dev.maws.model.mae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.TinyConfigs;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;

class ReconstructionTest {
    @Test
    void visiblePatchesAreKeptAndRemovedOnesPredicted() {
        VitConfig c = TinyConfigs.micro(); // 8x8, patch 2: 16 patches of 4 pixels
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 5)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, c, true);
            float[] px = new float[2 * 64];
            Random r = new Random(1);
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) r.nextGaussian();
            }
            MaskedAutoencoder.Reconstruction rec = mae.reconstruct(m.create(px, new Shape(2, 1, 8, 8)), 0.75, new Random(3));
            assertEquals(new Shape(2, 1, 8, 8), rec.masked().getShape());
            assertEquals(new Shape(2, 1, 8, 8), rec.reconstructed().getShape());
            float[] masked = rec.masked().toFloatArray();
            float[] out = rec.reconstructed().toFloatArray();
            int blank = 0;
            int predictedDiffers = 0;
            for (int i = 0; i < px.length; i++) {
                if (masked[i] == 0f) {
                    blank++;
                    predictedDiffers += out[i] != px[i] ? 1 : 0;
                } else {
                    assertEquals(px[i], masked[i], 0f, "a visible pixel is the input's");
                    assertEquals(px[i], out[i], 0f, "a visible pixel stays in the reconstruction");
                }
            }
            assertEquals(2 * 12 * 4, blank, "75 % of 16 patches removed per image, 4 pixels each");
            assertTrue(predictedDiffers > blank / 2, "removed pixels come from the decoder: " + predictedDiffers);
        }
    }
}
