package dev.maws.model.vit;

/**
 * Fixed 2-D sin-cos position embeddings (MAE's {@code get_2d_sincos_pos_embed}): half of the width
 * encodes the row, half the column, each as sin and cos of the position at geometric frequencies.
 */
public final class SinCosPositions {
    private SinCosPositions() {}

    /**
     * @return (1 + grid*grid) x dim values, row-major; row 0 (the cls token) is all zeros
     */
    public static float[] withClsRow(int dim, int grid) {
        float[] out = new float[(1 + grid * grid) * dim];
        int half = dim / 2;
        for (int h = 0; h < grid; h++) {
            for (int w = 0; w < grid; w++) {
                int row = 1 + h * grid + w;
                // MAE meshgrids (w, h): the first half of the width encodes w, the second half h
                encode1d(out, row * dim, half, w);
                encode1d(out, row * dim + half, half, h);
            }
        }
        return out;
    }

    private static void encode1d(float[] out, int offset, int dim, int pos) {
        int quarter = dim / 2;
        for (int i = 0; i < quarter; i++) {
            double omega = 1.0 / Math.pow(10000.0, i / (double) quarter);
            double angle = pos * omega;
            out[offset + i] = (float) Math.sin(angle);
            out[offset + quarter + i] = (float) Math.cos(angle);
        }
    }
}
