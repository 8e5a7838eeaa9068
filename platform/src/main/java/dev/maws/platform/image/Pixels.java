package dev.maws.platform.image;

/**
 * Crops, resizes and normalises {@link DecodedImage}s into model input. Resizing is bilinear with
 * half-pixel centres (as torchvision's {@code Resize} without antialiasing).
 */
public final class Pixels {
    private Pixels() {}

    /** Per-channel mean and standard deviation subtracted/divided after scaling to [0, 1]. */
    public record Normalization(float[] mean, float[] std) {
        /** ImageNet statistics for RGB (what MAE uses); 0.5 / 0.5 for grayscale. */
        public static Normalization standard(int channels) {
            return channels == 3
                    ? new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f})
                    : new Normalization(new float[] {0.5f}, new float[] {0.5f});
        }
    }

    /**
     * The box (x0, y0, w, h) of {@code src} resized to {@code size x size}, optionally mirrored, then
     * normalised, written into {@code out} at {@code offset} as (C, size, size).
     */
    public static void cropResize(DecodedImage src, double x0, double y0, double w, double h, int size, boolean flip,
            Normalization norm, float[] out, int offset) {
        int c = src.channels();
        double sx = w / size;
        double sy = h / size;
        for (int ch = 0; ch < c; ch++) {
            float mean = norm.mean()[ch];
            float inv = 1f / norm.std()[ch];
            int base = offset + ch * size * size;
            for (int oy = 0; oy < size; oy++) {
                double fy = y0 + (oy + 0.5) * sy - 0.5;
                int y = (int) Math.floor(fy);
                float dy = (float) (fy - y);
                int ya = clamp(y, src.height());
                int yb = clamp(y + 1, src.height());
                for (int ox = 0; ox < size; ox++) {
                    int tx = flip ? size - 1 - ox : ox;
                    double fx = x0 + (tx + 0.5) * sx - 0.5;
                    int x = (int) Math.floor(fx);
                    float dx = (float) (fx - x);
                    int xa = clamp(x, src.width());
                    int xb = clamp(x + 1, src.width());
                    float top = src.at(ch, ya, xa) * (1 - dx) + src.at(ch, ya, xb) * dx;
                    float bottom = src.at(ch, yb, xa) * (1 - dx) + src.at(ch, yb, xb) * dx;
                    out[base + oy * size + ox] = (top * (1 - dy) + bottom * dy - mean) * inv;
                }
            }
        }
    }

    /** The whole image resized to {@code size x size} and normalised (evaluation and inference). */
    public static void resize(DecodedImage src, int size, Normalization norm, float[] out, int offset) {
        cropResize(src, 0, 0, src.width(), src.height(), size, false, norm, out, offset);
    }

    private static int clamp(int v, int n) {
        return v < 0 ? 0 : v >= n ? n - 1 : v;
    }
}
