package dev.maws.model.wsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.maws.model.TinyConfigs;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.vit.VisionTransformer;
import dev.maws.model.vit.VitConfig;

class WspClassifierTest {
    private final VitConfig config = TinyConfigs.micro();

    @Test
    void targetsAreOneOverKWithOptionalSmoothing() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            WspClassifier wsp = new WspClassifier(p, config, 4);
            assertArrayEquals(new float[] {0.5f, 0, 0.5f, 0, 0, 0, 0, 1},
                    wsp.targets(m, new int[][] {{0, 2}, {3, 3}}, 0f).toFloatArray());
            assertArrayEquals(new float[] {0.025f + 0.9f, 0.025f, 0.025f, 0.025f},
                    wsp.targets(m, new int[][] {{0}}, 0.1f).toFloatArray(), 1e-6f);
            assertThrows(IllegalArgumentException.class, () -> wsp.targets(m, new int[][] {{}}, 0f));
            assertThrows(IllegalArgumentException.class, () -> wsp.targets(m, new int[][] {{4}}, 0f));
        }
    }

    @Test
    void gradientsReachEveryTrainableParameter() {
        for (VitConfig.Pooling pooling : VitConfig.Pooling.values()) {
            try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
                WspClassifier wsp = new WspClassifier(p, config.withPooling(pooling), 5);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray imgs = Images.batch(m, TinyConfigs.images(3, 5), 3, config);
                    gc.backward(wsp.forwardLoss(wsp.forward(imgs), wsp.targets(m, new int[][] {{0}, {1, 2}, {4}}, 0f)));
                }
                for (Parameters.Parameter param : p.all()) {
                    assertTrue(param.array().getGradient().abs().sum().getFloat() > 0,
                            pooling + ": no gradient reaches " + param.name());
                }
            }
        }
    }

    @Test
    void aTinyBatchCanBeOverfitted() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            WspClassifier wsp = new WspClassifier(p, config, 6);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            float[] px = TinyConfigs.images(6, 11);
            int[][] labels = {{0}, {1}, {2}, {3}, {4}, {5}};
            float first = 0;
            float last = 0;
            for (int step = 0; step < 150; step++) {
                float loss = TrainingStep.run(p, s -> wsp.forwardLoss(wsp.forward(Images.batch(s, px, 6, config)),
                        wsp.targets(s, labels, 0f)), adamW, 2e-3).loss();
                if (step == 0) {
                    first = loss;
                }
                last = loss;
            }
            assertTrue(last < 0.1f * first, "WSP loss fell from " + first + " only to " + last);
        }
    }

    @Test
    void theMaeEncoderTransfersByName() {
        try (NDManager m = NDManager.newBaseManager(); Parameters maeParams = new Parameters(m, 1);
                Parameters wspParams = new Parameters(m, 2)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(maeParams, config, true);
            WspClassifier wsp = new WspClassifier(wspParams, config, 5);
            int copied = wspParams.copyFrom(maeParams, VisionTransformer.PREFIX);
            long encoderParams = maeParams.all().stream().filter(x -> x.name().startsWith(VisionTransformer.PREFIX)).count();
            assertEquals(encoderParams, copied);
            NDArray imgs = Images.batch(m, TinyConfigs.images(2, 5), 2, config);
            // same encoder weights -> same tokens
            assertArrayEquals(mae.encoder().forward(imgs).toFloatArray(), wsp.encoder().forward(imgs).toFloatArray(), 1e-6f);
            // the head keeps its own initialisation
            assertTrue(wspParams.get("head.weight").array().abs().sum().getFloat() > 0);
            assertThrows(IllegalArgumentException.class, () -> wspParams.copyFrom(maeParams, "nothing."));
        }
    }

    @Test
    void aTransferBetweenDifferentShapesNamesEveryMismatch() {
        VitConfig wider = new VitConfig("wider", 8, 2, 1, 48, 2, 2, 2.0, 16, 1, 2, VitConfig.Pooling.CLS);
        VitConfig deeper = new VitConfig("deeper", 8, 2, 1, 32, 3, 2, 2.0, 16, 1, 2, VitConfig.Pooling.CLS);
        try (NDManager m = NDManager.newBaseManager(); Parameters maeParams = new Parameters(m, 1);
                Parameters widerParams = new Parameters(m, 2); Parameters deeperParams = new Parameters(m, 3)) {
            new MaskedAutoencoder(maeParams, config, true);
            new WspClassifier(widerParams, wider, 5);
            new WspClassifier(deeperParams, deeper, 5);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> widerParams.copyFrom(maeParams, VisionTransformer.PREFIX));
            assertTrue(shape.getMessage().contains("encoder.cls_token is (1, 1, 32) in the source, (1, 1, 48) here"),
                    shape.getMessage());
            IllegalArgumentException names = assertThrows(IllegalArgumentException.class,
                    () -> deeperParams.copyFrom(maeParams, VisionTransformer.PREFIX));
            assertTrue(names.getMessage().contains("missing in the source: encoder.blocks.2.norm1.weight"), names.getMessage());
        }
    }

    @Test
    void seededRunsRepeatExactly() {
        float[][] runs = new float[2][];
        for (int r = 0; r < 2; r++) {
            try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 42)) {
                MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
                AdamW adamW = AdamW.mae(p, 0.05, 1.0);
                Random masks = new Random(42);
                float[] px = TinyConfigs.images(4, 3);
                float[] losses = new float[6];
                for (int step = 0; step < losses.length; step++) {
                    losses[step] = TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 4, config), 0.75, masks).loss(),
                            adamW, 1e-3).loss();
                }
                float[] weights = p.get("decoder.pred.weight").array().toFloatArray();
                runs[r] = concat(losses, weights);
            }
        }
        assertArrayEquals(runs[0], runs[1]);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
