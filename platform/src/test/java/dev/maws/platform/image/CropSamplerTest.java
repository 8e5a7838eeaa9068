package dev.maws.platform.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The training path ({@link ImageDecoder#decodeCrop}) against the whole-image path plus {@link Pixels#cropResize}. */
class CropSamplerTest {
    private final ImageDecoder decoder = new ImageDecoder(10_000_000);

    @Test
    void aCropIsWhatPixelsCropResizeMakesOfTheWholeImage() throws Exception {
        byte[] png = TestImages.png(TestImages.pattern(97, 61));
        for (int channels : new int[] {1, 3}) {
            Pixels.Normalization norm = Pixels.Normalization.standard(channels);
            DecodedImage whole = decoder.decode(png, channels);
            for (Crop crop : new Crop[] {new Crop(10, 5, 50, 40, false), new Crop(10, 5, 50, 40, true),
                    new Crop(0, 0, 97, 61, false), new Crop(90, 55, 7, 6, true), new Crop(12.5, 3.5, 80, 57, false)}) {
                float[] expected = new float[channels * 32 * 32];
                Pixels.cropResize(whole, crop.x0(), crop.y0(), crop.width(), crop.height(), 32, crop.flip(), norm, expected, 0);
                float[] actual = new float[channels * 32 * 32 + 5];
                decoder.decodeCrop(png, channels, (w, h) -> crop, 32, norm, actual, 5);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[5 + i], 1e-4, crop + " channels " + channels + " at " + i);
                }
            }
        }
    }

    @Test
    void theCropIsChosenOnTheDisplayedSize() throws Exception {
        byte[] jpeg = TestImages.withOrientation(TestImages.jpeg(TestImages.pattern(40, 20), 0.95f), 6);
        int[] seen = new int[2];
        DecodedImage whole = decoder.decode(jpeg, 3);
        Crop crop = new Crop(2, 5, 15, 30, true);
        float[] out = new float[3 * 16 * 16];
        decoder.decodeCrop(jpeg, 3, (w, h) -> {
            seen[0] = w;
            seen[1] = h;
            return crop;
        }, 16, Pixels.Normalization.standard(3), out, 0);
        assertEquals(20, seen[0]);
        assertEquals(40, seen[1]);
        float[] expected = new float[out.length];
        Pixels.cropResize(whole, 2, 5, 15, 30, 16, true, Pixels.Normalization.standard(3), expected, 0);
        for (int i = 0; i < out.length; i++) {
            assertEquals(expected[i], out[i], 1e-4, "at " + i);
        }
    }

    @Test
    void aJpegIsReducedInTheDctOnlyWhileTheCropKeepsAPixelPerOutputPixel() throws Exception {
        assertEquals(1, ImageDecoder.reduction(new Crop(0, 0, 500, 375, false), 224));
        assertEquals(2, ImageDecoder.reduction(new Crop(0, 0, 448, 448, false), 224));
        assertEquals(2, ImageDecoder.reduction(new Crop(0, 0, 1200, 500, false), 224));
        assertEquals(4, ImageDecoder.reduction(new Crop(0, 0, 1200, 900, false), 224));
        assertEquals(8, ImageDecoder.reduction(new Crop(0, 0, 4000, 3000, false), 224));

        // a smooth 1200x900 photo-like image read whole at 224: reduced 4x, close to the full-size sampling
        byte[] jpeg = TestImages.jpeg(TestImages.pattern(1200, 900), 0.9f);
        Pixels.Normalization norm = Pixels.Normalization.standard(3);
        float[] full = new float[3 * 224 * 224];
        Pixels.cropResize(decoder.decode(jpeg, 3), 0, 0, 1200, 900, 224, false, norm, full, 0);
        float[] reduced = new float[full.length];
        decoder.decodeCrop(jpeg, 3, Crop::whole, 224, norm, reduced, 0);
        double sum = 0;
        for (int i = 0; i < full.length; i++) {
            sum += Math.abs(full[i] - reduced[i]);
        }
        double meanLevels = sum / full.length * 0.226 * 255; // back to 8-bit levels (std ~0.226)
        assertTrue(meanLevels < 1, "mean difference " + meanLevels + " levels");
    }
}
