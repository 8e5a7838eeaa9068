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
    void aBudgetThatCouldNotHoldTheLargestImageIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDecoder(40_000, "x", 39_999));
        assertTrue(e.getMessage().contains("could never decode the largest image accepted (40000 pixels)"), e.getMessage());
        assertEquals(-1, new ImageDecoder(40_000).freeBudgetPixels(), "no budget unless asked");
    }
}
