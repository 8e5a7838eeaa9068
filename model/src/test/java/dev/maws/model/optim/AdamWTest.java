package dev.maws.model.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import dev.maws.model.TinyConfigs;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;

class AdamWTest {
    private final VitConfig config = TinyConfigs.micro();

    @Test
    void matchesTheClosedFormFirstStepAndDecaysOnlyWeightMatrices() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = new AdamW(p, 0.9, 0.95, 1e-8, 0.5, 0);
            float[] w0 = p.get("encoder.blocks.0.attn.qkv.weight").array().toFloatArray();
            float[] b0 = p.get("encoder.blocks.0.norm1.weight").array().toFloatArray();
            float[] pxs = TinyConfigs.images(2, 1);
            double lr = 1e-2;
            TrainingStep.run(p, s -> mae.forward(Images.batch(s, pxs, 2, config), 0.75, new Random(1)).loss(), adamW, lr);
            float[] w1 = p.get("encoder.blocks.0.attn.qkv.weight").array().toFloatArray();
            float[] b1 = p.get("encoder.blocks.0.norm1.weight").array().toFloatArray();
            // step 1 of Adam moves a coordinate by lr * |g| / (|g| + eps): lr unless the gradient is
            // near eps; decay adds -lr * wd * w on weight matrices only
            int atLr = 0;
            for (int i = 0; i < w0.length; i++) {
                double delta = Math.abs(w1[i] - w0[i] * (1 - lr * 0.5));
                assertTrue(delta <= lr * (1 + 1e-4), "weight " + i + " moved " + delta);
                atLr += Math.abs(delta - lr) < 1e-4 ? 1 : 0;
            }
            for (int i = 0; i < b0.length; i++) {
                double delta = Math.abs(b1[i] - b0[i]);
                assertTrue(delta <= lr * (1 + 1e-4), "norm scale " + i + " (initialised to 1) moved " + delta + ": was it decayed?");
            }
            assertTrue(atLr > 0.9 * w0.length, "only " + atLr + " of " + w0.length + " weights moved by lr");
            assertEquals(1, adamW.stepCount());
        }
    }

    @Test
    void aNonFiniteGradientIsNotAppliedAlthoughTheLossIsFinite() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0); // clipping on: it must not turn NaN into a step
            float[] px = TinyConfigs.images(2, 1);
            float[] before = p.get("encoder.blocks.0.attn.qkv.weight").array().toFloatArray();
            // + sqrt(0 * cls): adds 0 to the loss and NaN (inf * 0) to the cls token's gradient
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> TrainingStep.run(p,
                    s -> mae.forward(Images.batch(s, px, 2, config), 0.75, new Random(1)).loss()
                            .add(p.get("encoder.cls_token").array().mul(0).sqrt().sum()), adamW, 1e-2));
            assertTrue(e.getMessage().startsWith("gradient norm is NaN"), e.getMessage());
            assertArrayEquals(before, p.get("encoder.blocks.0.attn.qkv.weight").array().toFloatArray(), "nothing applied");
            // the bad gradients were dropped: the next step is a normal first step
            TrainingStep.Result next = TrainingStep.run(p,
                    s -> mae.forward(Images.batch(s, px, 2, config), 0.75, new Random(1)).loss(), adamW, 1e-2);
            assertTrue(Double.isFinite(next.gradNorm()) && next.gradNorm() > 0, "norm " + next.gradNorm());
            for (float w : p.get("encoder.cls_token").array().toFloatArray()) {
                assertTrue(Float.isFinite(w));
            }
        }
    }

    @Test
    void stateSavesAndLoadsExactly() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            float[] px = TinyConfigs.images(2, 1);
            for (int i = 0; i < 3; i++) {
                TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 2, config), 0.75, new Random(1)).loss(), adamW, 1e-3);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            adamW.save(new DataOutputStream(bytes));
            AdamW restored = AdamW.mae(p, 0.05, 1.0);
            restored.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            ByteArrayOutputStream again = new ByteArrayOutputStream();
            restored.save(new DataOutputStream(again));
            assertArrayEquals(bytes.toByteArray(), again.toByteArray());
            assertEquals(3, restored.stepCount());
        }
    }

    @Test
    void stepsOnAThreadOtherThanTheEnginesOwn() throws Exception {
        // grad mode is per thread and on by default: the update must turn it off itself
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        float[] loss = new float[1];
        Thread t = new Thread(() -> {
            try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
                MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
                AdamW adamW = AdamW.mae(p, 0.05, 0);
                float[] px = TinyConfigs.images(2, 1);
                loss[0] = TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 2, config), 0.75, new Random(1)).loss(),
                        adamW, 1e-3).loss();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        assertEquals(null, failure.get(), () -> String.valueOf(failure.get()));
        assertTrue(Float.isFinite(loss[0]) && loss[0] > 0, "loss " + loss[0]);
    }

    @Test
    void refusesTheStateOfAnotherModel() throws IOException {
        VitConfig other = new VitConfig("other", 8, 2, 1, 48, 2, 2, 2.0, 16, 1, 2, VitConfig.Pooling.CLS);
        try (NDManager m = NDManager.newBaseManager(); Parameters a = new Parameters(m, 1); Parameters b = new Parameters(m, 1)) {
            new MaskedAutoencoder(a, config, true);
            new MaskedAutoencoder(b, other, true);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            AdamW.mae(a, 0.05, 0).save(new DataOutputStream(bytes));
            IOException e = assertThrows(IOException.class, () -> AdamW.mae(b, 0.05, 0)
                    .load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
            assertTrue(e.getMessage().contains("in the file"), e.getMessage());
        }
    }

    @Test
    void aNonFiniteLossChangesNothingAndLeavesNoGradientBehind() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 0);
            float[] px = TinyConfigs.images(2, 1);
            float[] before = p.get("decoder.pred.weight").array().toFloatArray();
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> TrainingStep.run(p,
                    s -> mae.forward(Images.batch(s, px, 2, config), 0.75, new Random(1)).loss().mul(s.create(Float.NaN)),
                    adamW, 1e-3));
            assertTrue(e.getMessage().startsWith("loss is NaN"), e.getMessage());
            assertArrayEquals(before, p.get("decoder.pred.weight").array().toFloatArray());
            assertEquals(0, adamW.stepCount());
            assertEquals(0f, p.get("decoder.pred.weight").array().getGradient().abs().sum().getFloat());
        }
    }

    @Test
    void scheduleWarmsUpLinearlyThenFollowsHalfACosine() {
        LrSchedule s = new LrSchedule(1.0, 0.0, 10, 110);
        assertEquals(0.1, s.at(0), 1e-12);
        assertEquals(1.0, s.at(9), 1e-12);
        assertEquals(1.0, s.at(10), 1e-12);
        assertEquals(0.5, s.at(60), 1e-12); // half way through the decay
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 99 / 100)), s.at(109), 1e-12); // the last step: small, not 0
        assertEquals(0.0, s.at(110), 1e-12); // where the run ends
        assertEquals(1.5e-4 * 4, LrSchedule.scaledLr(1.5e-4, 1024), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1.0, 0.0, 20, 10));
    }
}
