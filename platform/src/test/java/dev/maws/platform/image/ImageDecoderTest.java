package dev.maws.platform.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static byte[] png(int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 7 + y * 13) * 0x010203);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void theDecodeBudgetIsGivenBackAfterEveryDecodeGoodOrBad() throws Exception {
        ImageDecoder decoder = new ImageDecoder(40_000, "test.max-pixels", 80_000);
        long full = decoder.freeBudgetPixels();
        assertTrue(full >= 80_000, full + " pixels");
        DecodedImage img = decoder.decode(png(200, 150), 3);
        assertEquals(200, img.width());
        assertEquals(full, decoder.freeBudgetPixels(), "after a good decode");
        byte[] broken = png(200, 150);
        byte[] cut = Arrays.copyOf(broken, broken.length / 2); // the header says 200x150, the data ends early
        assertThrows(ImageDecoder.BadImageException.class, () -> decoder.decode(cut, 3));
        assertEquals(full, decoder.freeBudgetPixels(), "after a corrupt one");
        ImageDecoder.BadImageException tooLarge = assertThrows(ImageDecoder.BadImageException.class,
                () -> decoder.decode(png(201, 200), 1));
        assertEquals("image is 201x200 pixels; at most 40000 are accepted (test.max-pixels)", tooLarge.getMessage());
        assertEquals(full, decoder.freeBudgetPixels(), "after a refused one");
    }

    @Test
    void aTruncatedJpegIsRefusedAsCorruptAndNothingIsHeld() {
        ImageDecoder decoder = new ImageDecoder(1_000_000, "x", 2_000_000);
        byte[] jpeg = TestImages.jpeg(TestImages.pattern(200, 150), 0.9f);
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length * 2 / 3);
        ImageDecoder.BadImageException e = assertThrows(ImageDecoder.BadImageException.class, () -> decoder.decode(cut, 3));
        assertTrue(e.getMessage().startsWith("corrupt image: the JPEG data is damaged or ends early"), e.getMessage());
        assertThrows(ImageDecoder.BadImageException.class,
                () -> decoder.decodeCrop(cut, 3, Crop::whole, 64, Pixels.Normalization.standard(3), new float[3 * 64 * 64], 0));
        assertThrows(ImageDecoder.BadImageException.class, () -> decoder.decode(Arrays.copyOf(jpeg, 100), 3));
        assertEquals(2_000_000, decoder.freeBudgetPixels(), 1024);
    }

    @Test
    void aFortyMegapixelImageIsRefusedFromItsHeaderAlone() throws Exception {
        byte[] png = png(8, 8);
        // IHDR claims 8000 x 5000; no pixel data for that size follows
        java.nio.ByteBuffer.wrap(png, 16, 8).putInt(8000).putInt(5000);
        ImageDecoder.BadImageException e = assertThrows(ImageDecoder.BadImageException.class,
                () -> new ImageDecoder(36_000_000, "maws.max-image-pixels").decode(png, 3));
        assertEquals("image is 8000x5000 pixels; at most 36000000 are accepted (maws.max-image-pixels)", e.getMessage());
    }

    @Test
    void aOneByOneImageDecodes() throws Exception {
        ImageDecoder decoder = new ImageDecoder(1_000_000);
        BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        one.setRGB(0, 0, 0x336699);
        DecodedImage fromPng = decoder.decode(TestImages.png(one), 3);
        assertEquals(0x33 / 255f, fromPng.at(0, 0, 0), 1e-6);
        assertEquals(0x99 / 255f, fromPng.at(2, 0, 0), 1e-6);
        DecodedImage fromJpeg = decoder.decode(TestImages.jpeg(one, 0.9f), 3);
        assertEquals(1, fromJpeg.width());
        assertEquals(0x66 / 255f, fromJpeg.at(1, 0, 0), 3 / 255f);
        float[] out = new float[3 * 8 * 8];
        decoder.decodeCrop(TestImages.jpeg(one, 0.9f), 3, Crop::whole, 8, Pixels.Normalization.standard(3), out, 0);
        assertEquals((0x33 / 255f - 0.485f) / 0.229f, out[63], 3 / 255f / 0.229f);
    }

    @Test
    void whatIsNotAnImageIsRefusedWithWhatItIs() {
        ImageDecoder decoder = new ImageDecoder(1_000_000);
        ImageDecoder.BadImageException text = assertThrows(ImageDecoder.BadImageException.class,
                () -> decoder.decode("a caption, not a picture".getBytes(java.nio.charset.StandardCharsets.UTF_8), 3));
        assertEquals("not a PNG, JPEG or WebP image (24 bytes, unknown format)", text.getMessage());
        ImageDecoder.BadImageException gif = assertThrows(ImageDecoder.BadImageException.class,
                () -> decoder.decode("GIF89a\1\0\1\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 3));
        assertEquals("images must be PNG, JPEG or WebP, this one is gif", gif.getMessage());
        assertThrows(ImageDecoder.BadImageException.class, () -> decoder.decode(new byte[0], 3));
        assertThrows(ImageDecoder.BadImageException.class, () -> decoder.decode(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, 3));
    }

    @Test
    void aBudgetThatCouldNotHoldTheLargestImageIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDecoder(40_000, "x", 39_999));
        assertTrue(e.getMessage().contains("could never decode the largest image accepted (40000 pixels)"), e.getMessage());
        assertEquals(-1, new ImageDecoder(40_000).freeBudgetPixels(), "no budget unless asked");
    }
}
