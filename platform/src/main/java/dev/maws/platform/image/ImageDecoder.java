package dev.maws.platform.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * PNG/JPEG bytes -> {@link DecodedImage} with the channel count a model takes (1 = luminance,
 * 3 = RGB). The size is read from the header before any pixel is decoded, so a small file that
 * claims a huge image (a decompression bomb) is refused cheaply.
 */
public final class ImageDecoder {
    private final long maxPixels;
    private final String limitName;

    /** @param maxPixels largest width x height accepted */
    public ImageDecoder(long maxPixels) {
        this(maxPixels, "");
    }

    /** @param limitName the setting that holds {@code maxPixels}, named in the refusal so a user knows what to raise */
    public ImageDecoder(long maxPixels, String limitName) {
        this.maxPixels = maxPixels;
        this.limitName = limitName;
    }

    /** @throws BadImageException saying what is wrong (not an image, too large, unsupported format) */
    public DecodedImage decode(byte[] bytes, int channels) throws BadImageException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        BufferedImage img = read(bytes);
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = h * w;
        float[] px = new float[channels * plane];
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY && channels == 1) {
            // the common grayscale case straight from the raster (getRGB would also apply sRGB conversion)
            byte[] gray = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < plane; i++) {
                px[i] = (gray[i] & 0xff) / 255f;
            }
            return new DecodedImage(channels, h, w, px);
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            float r = ((p >> 16) & 0xff) / 255f;
            float g = ((p >> 8) & 0xff) / 255f;
            float b = (p & 0xff) / 255f;
            if (channels == 1) {
                // ITU-R BT.601 luma, what PIL's convert("L") computes
                px[i] = 0.299f * r + 0.587f * g + 0.114f * b;
            } else {
                px[i] = r;
                px[plane + i] = g;
                px[2 * plane + i] = b;
            }
        }
        return new DecodedImage(channels, h, w, px);
    }

    private BufferedImage read(byte[] bytes) throws BadImageException {
        // an in-memory stream: ImageIO.createImageInputStream would spool through a temporary file (3x slower)
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadImageException("not a PNG or JPEG image (" + bytes.length + " bytes, unknown format)");
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
                if (!format.equals("png") && !format.equals("jpeg")) {
                    throw new BadImageException("images must be PNG or JPEG, this one is " + format);
                }
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > maxPixels) {
                    throw new BadImageException("image is " + w + "x" + h + " pixels; at most " + maxPixels + " are accepted"
                            + (limitName.isEmpty() ? "" : " (" + limitName + ")"));
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadImageException bad) {
                throw bad;
            }
            throw new BadImageException("corrupt image: " + e.getMessage());
        }
    }

    /** Bytes that are not a usable image; the message says why. */
    public static final class BadImageException extends IOException {
        public BadImageException(String message) {
            super(message);
        }
    }
}
