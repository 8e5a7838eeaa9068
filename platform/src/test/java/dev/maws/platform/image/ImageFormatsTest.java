package dev.maws.platform.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

/** Each kind of input the issue names, decoded to what a person sees. */
class ImageFormatsTest {
    private final ImageDecoder decoder = new ImageDecoder(10_000_000);

    @Test
    void an8BitPngDecodesExactlyAsImageIoDoes() throws Exception {
        BufferedImage img = TestImages.pattern(61, 37);
        DecodedImage rgb = decoder.decode(TestImages.png(img), 3);
        DecodedImage gray = decoder.decode(TestImages.png(img), 1);
        for (int y = 0; y < 37; y++) {
            for (int x = 0; x < 61; x++) {
                int p = img.getRGB(x, y);
                float r = (p >> 16 & 0xFF) / 255f;
                float g = (p >> 8 & 0xFF) / 255f;
                float b = (p & 0xFF) / 255f;
                assertEquals(r, rgb.at(0, y, x), 1e-6);
                assertEquals(g, rgb.at(1, y, x), 1e-6);
                assertEquals(b, rgb.at(2, y, x), 1e-6);
                assertEquals(0.299f * r + 0.587f * g + 0.114f * b, gray.at(0, y, x), 1e-6);
            }
        }
    }

    /** Both are libjpeg(-turbo) with the default (islow) IDCT and fancy upsampling where the JDK uses the system's. */
    @Test
    void aJpegDecodesWithinTwoLevelsOfImageIo() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.pattern(120, 90), 0.9f);
        BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpeg));
        DecodedImage img = decoder.decode(jpeg, 3);
        double worst = 0;
        for (int y = 0; y < 90; y++) {
            for (int x = 0; x < 120; x++) {
                int p = reference.getRGB(x, y);
                worst = Math.max(worst, Math.abs((p >> 16 & 0xFF) / 255f - img.at(0, y, x)));
                worst = Math.max(worst, Math.abs((p >> 8 & 0xFF) / 255f - img.at(1, y, x)));
                worst = Math.max(worst, Math.abs((p & 0xFF) / 255f - img.at(2, y, x)));
            }
        }
        assertTrue(worst <= 2 / 255.0 + 1e-6, "worst difference " + worst * 255 + " levels");
    }

    @Test
    void everyExifOrientationIsShownAsDisplayed() throws Exception {
        BufferedImage stored = TestImages.pattern(40, 20);
        byte[] plain = TestImages.jpeg(stored, 0.95f);
        DecodedImage s = decoder.decode(plain, 3);
        for (int o = 1; o <= 8; o++) {
            DecodedImage d = decoder.decode(TestImages.withOrientation(plain, o), 3);
            boolean transposed = o >= 5;
            assertEquals(transposed ? 20 : 40, d.width(), "orientation " + o);
            for (int y = 0; y < d.height(); y++) {
                for (int x = 0; x < d.width(); x++) {
                    // where display (x, y) is stored, from the EXIF definitions
                    int[] xy = switch (o) {
                        case 1 -> new int[] {x, y};
                        case 2 -> new int[] {39 - x, y};
                        case 3 -> new int[] {39 - x, 19 - y};
                        case 4 -> new int[] {x, 19 - y};
                        case 5 -> new int[] {y, x};
                        case 6 -> new int[] {y, 19 - x};
                        case 7 -> new int[] {39 - y, 19 - x};
                        default -> new int[] {39 - y, x};
                    };
                    for (int c = 0; c < 3; c++) {
                        assertEquals(s.at(c, xy[1], xy[0]), d.at(c, y, x), 0, "orientation " + o + " at " + x + "," + y);
                    }
                }
            }
        }
    }

    @Test
    void aCmykJpegBecomesRgb() throws Exception {
        DecodedImage img = decoder.decode(TestImages.resource("quadrants-cmyk.jpg"), 3);
        assertEquals(32, img.width());
        assertQuadrants(img, 0.1f);
    }

    @Test
    void webpLosslessAndLossyWithAlphaDecode() throws Exception {
        assertQuadrants(decoder.decode(TestImages.resource("quadrants-lossless.webp"), 3), 0);
        // alpha (50 %) is dropped: the colour channels as stored
        assertQuadrants(decoder.decode(TestImages.resource("quadrants-lossy-alpha.webp"), 3), 0.08f);
    }

    @Test
    void a16BitPngKeepsItsHighByte() throws Exception {
        DecodedImage img = decoder.decode(TestImages.png16(5, 4, (x, y, c) -> (x * 13_000 + y * 3_000 + c * 700) % 65_536), 3);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                for (int c = 0; c < 3; c++) {
                    int v = (x * 13_000 + y * 3_000 + c * 700) % 65_536;
                    assertEquals(v / 65_535f, img.at(c, y, x), 1 / 255f, x + "," + y + "," + c);
                }
            }
        }
    }

    @Test
    void aGrayPngWithAlphaGivesItsGrayInEveryChannel() throws Exception {
        byte[] png = TestImages.grayAlphaPng(6, 3, (x, y) -> 40 * x + y, 128);
        DecodedImage rgb = decoder.decode(png, 3);
        DecodedImage gray = decoder.decode(png, 1);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 6; x++) {
                float v = (40 * x + y) / 255f;
                assertEquals(v, gray.at(0, y, x), 1e-6);
                for (int c = 0; c < 3; c++) {
                    assertEquals(v, rgb.at(c, y, x), 1e-6);
                }
            }
        }
    }

    /** Red, green / blue, white quadrants of a 32x24 image, each channel within {@code tolerance}. */
    private static void assertQuadrants(DecodedImage img, float tolerance) {
        float[][] colours = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
        int[][] centres = {{8, 6}, {24, 6}, {8, 18}, {24, 18}};
        for (int q = 0; q < 4; q++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(colours[q][c], img.at(c, centres[q][1], centres[q][0]), tolerance, "quadrant " + q + " channel " + c);
            }
        }
    }
}
