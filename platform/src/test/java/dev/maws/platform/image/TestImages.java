package dev.maws.platform.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Images made for the decoder's tests, each with content that shows what went wrong. */
final class TestImages {
    private TestImages() {}

    /** Three smooth ramps (red along x, green along y, blue along the diagonal): each channel shows a mix-up of axes. */
    static BufferedImage pattern(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 255) / Math.max(1, w - 1);
                int g = (y * 255) / Math.max(1, h - 1);
                int b = ((x + y) * 255) / Math.max(1, w + h - 2);
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return img;
    }

    static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Baseline JPEG through the JDK's writer at {@code quality} (0.9 = libjpeg's 90). */
    static byte[] jpeg(BufferedImage img, float quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** The JPEG with an Exif APP1 segment, holding only the orientation tag, right after its SOI marker. */
    static byte[] withOrientation(byte[] jpeg, int orientation) {
        byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, // Orientation, SHORT, count 1
            0, 0, 0, 0}; // no next IFD
        int length = 2 + 6 + tiff.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(0xE1);
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(new byte[] {'E', 'x', 'i', 'f', 0, 0});
        out.writeBytes(tiff);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** A sample value by position and channel. */
    @FunctionalInterface
    interface Sample {
        int at(int x, int y, int channel);
    }

    /** A 16-bit-per-channel RGB PNG whose samples are {@code value(x, y, channel)}. */
    static byte[] png16(int w, int h, Sample value) {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    raster.setSample(x, y, c, value.at(x, y, c));
                }
            }
        }
        return png(new BufferedImage(cm, raster, false, null));
    }

    /** An 8-bit gray + alpha PNG: gray {@code gray(x, y)}, alpha {@code alpha}. */
    static byte[] grayAlphaPng(int w, int h, java.util.function.IntBinaryOperator gray, int alpha) {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.setSample(x, y, 0, gray.applyAsInt(x, y));
                raster.setSample(x, y, 1, alpha);
            }
        }
        return png(new BufferedImage(cm, raster, false, null));
    }

    /**
     * A test resource. The quadrant files (32x24: red, green / blue, white) were made with ImageMagick
     * and libwebp's cwebp: {@code convert -size 16x12 xc:red xc:lime +append ( -size 16x12 xc:blue
     * xc:white +append ) -append quad.png}, then {@code convert quad.png -colorspace CMYK -quality 95
     * quadrants-cmyk.jpg}, {@code cwebp -lossless quad.png -o quadrants-lossless.webp}, and from it
     * with alpha set to 50 % {@code cwebp -q 95 -alpha_q 100 -exact quada.png -o quadrants-lossy-alpha.webp}.
     */
    static byte[] resource(String name) {
        try (InputStream in = TestImages.class.getResourceAsStream("/images/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource /images/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
