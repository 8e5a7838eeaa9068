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
    /** Budget permits are kilopixels: a long pixel count in an int semaphore. */
    private static final int PIXELS_PER_PERMIT = 1024;

    private final long maxPixels;
    private final String limitName;
    /** Pixels being decoded at once, all threads together; null = no bound. */
    private final java.util.concurrent.Semaphore budget;
    private final int budgetPermits;

    /** @param maxPixels largest width x height accepted */
    public ImageDecoder(long maxPixels) {
        this(maxPixels, "");
    }

    /** @param limitName the setting that holds {@code maxPixels}, named in the refusal so a user knows what to raise */
    public ImageDecoder(long maxPixels, String limitName) {
        this(maxPixels, limitName, 0);
    }

    /**
     * @param pixelBudget most pixels decoded at once by all threads together (0 = no bound): a decode
     *     holds ~19 bytes a pixel (raster, ARGB, floats), so eight threads on 40-megapixel images would
     *     hold 6 GB; an image waits until the others leave room. At least {@code maxPixels}.
     */
    public ImageDecoder(long maxPixels, String limitName, long pixelBudget) {
        if (pixelBudget != 0 && pixelBudget < maxPixels) {
            throw new IllegalArgumentException("a decode pixel budget of " + pixelBudget + " could never decode the largest "
                    + "image accepted (" + maxPixels + " pixels)");
        }
        this.maxPixels = maxPixels;
        this.limitName = limitName;
        this.budgetPermits = pixelBudget == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, permits(pixelBudget));
        this.budget = pixelBudget == 0 ? null : new java.util.concurrent.Semaphore(budgetPermits, true);
    }

    /** Pixels of the budget free now (all of it when no decode runs); -1 without a budget. */
    public long freeBudgetPixels() {
        return budget == null ? -1 : (long) budget.availablePermits() * PIXELS_PER_PERMIT;
    }

    private static long permits(long pixels) {
        return Math.max(1, (pixels + PIXELS_PER_PERMIT - 1) / PIXELS_PER_PERMIT);
    }

    /** @throws BadImageException saying what is wrong (not an image, too large, unsupported format) */
    public DecodedImage decode(byte[] bytes, int channels) throws BadImageException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        int[] held = {0}; // budget permits taken by read(), given back once the floats exist
        try {
            return toFloats(read(bytes, held), channels);
        } finally {
            if (held[0] > 0) {
                budget.release(held[0]);
            }
        }
    }

    private static DecodedImage toFloats(BufferedImage img, int channels) {
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

    private BufferedImage read(byte[] bytes, int[] held) throws BadImageException {
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
                if (budget != null) { // uninterruptible: a wait here ends as soon as another decode finishes
                    held[0] = (int) Math.min(budgetPermits, permits(w * h));
                    budget.acquireUninterruptibly(held[0]);
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
