package dev.maws.platform.image;

import java.nio.IntBuffer;

/**
 * Reads a {@link NativeImage} as it is displayed (EXIF orientation applied) straight into model
 * input: {@link #sample} is the crop, resize, flip and normalisation of {@link Pixels#cropResize}
 * (bilinear, half-pixel centres, edges clamped, no antialiasing) done in one pass over the 8-bit
 * words, so no full-size float image is ever made. Orientation costs nothing: each display axis is
 * a stored axis, maybe reversed, so a sample's word index is a per-row term plus a per-column term,
 * both tabulated once per image.
 */
final class CropSampler {
    /** ITU-R BT.601 luma, what PIL's convert("L") computes. */
    private static final float LUMA_R = 0.299f;
    private static final float LUMA_G = 0.587f;
    private static final float LUMA_B = 0.114f;

    private CropSampler() {}

    /**
     * Writes the {@code crop} of the displayed image, resized to {@code size x size}, into {@code out}
     * at {@code offset} as (C, size, size), normalised.
     *
     * @param reduction how many times smaller than the header's size {@code img} was decoded; the
     *     crop is in full-size coordinates and is scaled by the same factor
     */
    static void sample(NativeImage img, int orientation, int reduction, Crop crop, int size, int channels,
            Pixels.Normalization norm, float[] out, int offset) {
        Display d = Display.of(img, orientation);
        int[] colA = new int[size];
        int[] colB = new int[size];
        float[] wx = new float[size];
        axis(crop.x0() / reduction, crop.width() / reduction, size, d.width(), d.strideX(), d.reverseX(), crop.flip(),
                colA, colB, wx);
        int[] rowA = new int[size];
        int[] rowB = new int[size];
        float[] wy = new float[size];
        axis(crop.y0() / reduction, crop.height() / reduction, size, d.height(), d.strideY(), d.reverseY(), false,
                rowA, rowB, wy);

        IntBuffer src = img.words;
        int plane = size * size;
        float[] scale = new float[channels];
        float[] shift = new float[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = 1f / (255f * norm.std()[c]);
            shift[c] = norm.mean()[c] / norm.std()[c];
        }
        for (int oy = 0; oy < size; oy++) {
            int ra = rowA[oy];
            int rb = rowB[oy];
            float fy = wy[oy];
            int o = offset + oy * size;
            for (int ox = 0; ox < size; ox++) {
                int p = src.get(ra + colA[ox]);
                int q = src.get(ra + colB[ox]);
                int u = src.get(rb + colA[ox]);
                int v = src.get(rb + colB[ox]);
                float fx = wx[ox];
                float r = lerp2(p >>> 24, q >>> 24, u >>> 24, v >>> 24, fx, fy);
                float g = lerp2(p >>> 16 & 0xFF, q >>> 16 & 0xFF, u >>> 16 & 0xFF, v >>> 16 & 0xFF, fx, fy);
                float b = lerp2(p >>> 8 & 0xFF, q >>> 8 & 0xFF, u >>> 8 & 0xFF, v >>> 8 & 0xFF, fx, fy);
                if (channels == 3) {
                    out[o + ox] = r * scale[0] - shift[0];
                    out[plane + o + ox] = g * scale[1] - shift[1];
                    out[2 * plane + o + ox] = b * scale[2] - shift[2];
                } else {
                    out[o + ox] = (LUMA_R * r + LUMA_G * g + LUMA_B * b) * scale[0] - shift[0];
                }
            }
        }
    }

    /**
     * How the stored image maps to the displayed one under an EXIF orientation (1-8): the display's size,
     * and along each display axis the word step in storage (along display x: stored x, step 1, or,
     * transposed, stored y, step one row) and whether it runs backwards.
     */
    private record Display(int width, int height, int strideX, int strideY, boolean reverseX, boolean reverseY) {
        static Display of(NativeImage img, int orientation) {
            boolean transposed = orientation >= 5;
            return new Display(transposed ? img.height : img.width, transposed ? img.width : img.height,
                    transposed ? img.wordsPerLine : 1, transposed ? 1 : img.wordsPerLine,
                    transposed ? orientation == 6 || orientation == 7 : orientation == 2 || orientation == 3,
                    transposed ? orientation == 7 || orientation == 8 : orientation == 3 || orientation == 4);
        }
    }

    /**
     * The two neighbours (as word-index terms) and the weight of the second, for each output position
     * along one display axis: output {@code i} samples display coordinate {@code start + (i + 0.5) *
     * length / size - 0.5}, clamped to the image.
     */
    private static void axis(double start, double length, int size, int n, int stride, boolean reverse, boolean flip,
            int[] a, int[] b, float[] weight) {
        double step = length / size;
        for (int i = 0; i < size; i++) {
            int t = flip ? size - 1 - i : i;
            double f = start + (t + 0.5) * step - 0.5;
            int k = (int) Math.floor(f);
            weight[i] = (float) (f - k);
            a[i] = index(clamp(k, n), n, reverse) * stride;
            b[i] = index(clamp(k + 1, n), n, reverse) * stride;
        }
    }

    /** The displayed image as floats in [0, 1], (C, H, W). */
    static DecodedImage toFloats(NativeImage img, int orientation, int channels) {
        Display d = Display.of(img, orientation);
        int w = d.width();
        int h = d.height();
        int strideX = d.strideX();
        int strideY = d.strideY();
        boolean reverseX = d.reverseX();
        boolean reverseY = d.reverseY();
        int plane = w * h;
        float[] px = new float[channels * plane];
        IntBuffer src = img.words;
        for (int y = 0; y < h; y++) {
            int row = index(y, h, reverseY) * strideY;
            for (int x = 0; x < w; x++) {
                int p = src.get(row + index(x, w, reverseX) * strideX);
                float r = (p >>> 24) / 255f;
                float g = (p >>> 16 & 0xFF) / 255f;
                float b = (p >>> 8 & 0xFF) / 255f;
                int i = y * w + x;
                if (channels == 3) {
                    px[i] = r;
                    px[plane + i] = g;
                    px[2 * plane + i] = b;
                } else {
                    px[i] = LUMA_R * r + LUMA_G * g + LUMA_B * b;
                }
            }
        }
        return new DecodedImage(channels, h, w, px);
    }

    private static float lerp2(int p, int q, int u, int v, float fx, float fy) {
        float top = p + (q - p) * fx;
        float bottom = u + (v - u) * fx;
        return top + (bottom - top) * fy;
    }

    private static int index(int i, int n, boolean reverse) {
        return reverse ? n - 1 - i : i;
    }

    private static int clamp(int v, int n) {
        return v < 0 ? 0 : v >= n ? n - 1 : v;
    }
}
