package dev.maws.model.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.maws.model.nn.Parameters;

class MlpTest {
    @Test
    void largeCpuBatchesRunInChunksAndSmallOnesWhole() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 7)) {
            Mlp mlp = new Mlp(p, "mlp", 16, 1536);
            // hidden activation of (70, 50, 1536) floats = 21.5 MB: above CHUNK_BYTES (16 MB), so 2 chunks
            assertEquals(2, mlp.chunks(m.zeros(new Shape(70, 50, 16))));
            assertEquals(1, mlp.chunks(m.zeros(new Shape(20, 50, 16))));
            assertEquals(1, mlp.chunks(m.zeros(new Shape(1, 5000, 16))), "one image cannot be split");
        }
    }

    @Test
    void chunkedAndWholeGiveTheSameOutputsAndGradients() {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 7)) {
            Mlp mlp = new Mlp(p, "mlp", 16, 64);
            NDArray x = m.randomNormal(new Shape(11, 5, 16));
            float[][] whole = outputAndGradients(m, p, mlp, x, 1);
            float[][] chunked = outputAndGradients(m, p, mlp, x, 3); // uneven: 3, 4 and 4 images
            assertEquals(11 * 5 * 16, chunked[0].length);
            assertArrayEquals(whole[0], chunked[0], 1e-5f, "outputs");
            assertArrayEquals(whole[1], chunked[1], 1e-4f, "fc1 weight gradient, summed over every chunk");
            assertArrayEquals(whole[2], chunked[2], 1e-4f, "fc2 bias gradient");
        }
    }

    /** {output, gradient of fc1's weight, gradient of fc2's bias} for sum(output^2), in {@code chunks} chunks. */
    private static float[][] outputAndGradients(NDManager m, Parameters p, Mlp mlp, NDArray x, int chunks) {
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
            NDArray y = mlp.forward(x, chunks);
            gc.backward(y.square().sum());
            float[][] out = {y.toFloatArray(), p.get("mlp.fc1.weight").array().getGradient().toFloatArray(),
                    p.get("mlp.fc2.bias").array().getGradient().toFloatArray()};
            gc.zeroGradients(); // PyTorch accumulates: the next call starts from 0 again
            return out;
        }
    }
}
