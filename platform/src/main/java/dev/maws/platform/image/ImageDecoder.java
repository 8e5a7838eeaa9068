package dev.maws.platform.image;

import java.io.IOException;
import java.util.concurrent.Semaphore;

/**
 * JPEG/PNG/WebP bytes -> model input, with the channel count a model takes (1 = luminance, 3 = RGB),
 * in the orientation the image's EXIF says it is displayed. The size is read from the header before
 * any pixel is decoded, so a small file that claims a huge image (a decompression bomb) is refused
 * cheaply, and a pixel budget bounds what all threads decode at once.
 *
 * <p>{@link #decodeCrop} is the training path: the crop is chosen from the header's size, then the
 * image is decoded and only the crop is resampled into normalised floats ({@link CropSampler}). A
 * JPEG whose crop is at least 2, 4 or 8 times the output size in both directions is decoded at that
 * fraction of its size (DCT-domain scaling, {@link NativeImage}): a box of {@code w x h} full-size
 * pixels resized to {@code size x size} may be read from the image reduced r times when {@code w / r
 * >= size} and {@code h / r >= size}, i.e. when the reduced crop still has at least one pixel per
 * output pixel, so no detail the output could show is lost; the result is the full-size sampling
 * low-pass filtered (less aliased), not bit-identical to it. At ImageNet sizes (~500x375 to 224) it
 * never applies; it is what keeps multi-megapixel web images cheap.
 *
 * <p>{@link #decode} gives the whole image as floats (evaluation, inference). Decoded pixels are those
 * of libjpeg-turbo, libpng and libwebp; an 8-bit PNG decodes exactly as the JDK's ImageIO decodes it,
 * a JPEG within a few levels of 255 of any other IDCT.
 */
public final class ImageDecoder {
    /** Budget permits are kilopixels: a long pixel count in an int semaphore. */
    private static final int PIXELS_PER_PERMIT = 1024;
    private static final int[] REDUCTIONS = {8, 4, 2};

    private final long maxPixels;
    private final String limitName;
    /** Pixels being decoded at once, all threads together; null = no bound. */
    private final Semaphore budget;
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
     *     holds 4 bytes a pixel natively (and {@link #decode} 4 to 12 more as floats), so eight threads
     *     on 40-megapixel images would hold gigabytes; an image waits until the others leave room. At
     *     least {@code maxPixels}.
     */
    public ImageDecoder(long maxPixels, String limitName, long pixelBudget) {
        if (pixelBudget != 0 && pixelBudget < maxPixels) {
            throw new IllegalArgumentException("a decode pixel budget of " + pixelBudget + " could never decode the largest "
                    + "image accepted (" + maxPixels + " pixels)");
        }
        this.maxPixels = maxPixels;
        this.limitName = limitName;
        this.budgetPermits = pixelBudget == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, permits(pixelBudget));
        this.budget = pixelBudget == 0 ? null : new Semaphore(budgetPermits, true);
    }

    /** Pixels of the budget free now (all of it when no decode runs); -1 without a budget. */
    public long freeBudgetPixels() {
        return budget == null ? -1 : (long) budget.availablePermits() * PIXELS_PER_PERMIT;
    }

    private static long permits(long pixels) {
        return Math.max(1, (pixels + PIXELS_PER_PERMIT - 1) / PIXELS_PER_PERMIT);
    }

    /** The whole displayed image, (C, H, W) floats in [0, 1]. */
    public DecodedImage decode(byte[] bytes, int channels) throws BadImageException {
        checkChannels(channels);
        ImageHeader header = header(bytes);
        int held = acquire(header);
        try (NativeImage img = NativeImage.decode(bytes, header.format(), 1)) {
            return CropSampler.toFloats(img, header.orientation(), channels);
        } finally {
            release(held);
        }
    }

    /**
     * Decodes the image and writes the crop that {@code chooser} picks (given the displayed size),
     * resized to {@code size x size}, mirrored if the crop says so and normalised, into {@code out} at
     * {@code offset} as (C, size, size).
     */
    public void decodeCrop(byte[] bytes, int channels, Crop.Chooser chooser, int size, Pixels.Normalization norm,
            float[] out, int offset) throws BadImageException {
        checkChannels(channels);
        ImageHeader header = header(bytes);
        Crop crop = chooser.choose(header.displayWidth(), header.displayHeight());
        int reduction = header.format() == ImageHeader.Format.JPEG ? reduction(crop, size) : 1;
        int held = acquire(header);
        try (NativeImage img = NativeImage.decode(bytes, header.format(), reduction)) {
            CropSampler.sample(img, header.orientation(), reduction, crop, size, channels, norm, out, offset);
        } finally {
            release(held);
        }
    }

    /** The largest DCT reduction (8, 4, 2) that leaves the crop at least {@code size} pixels in both directions; else 1. */
    static int reduction(Crop crop, int size) {
        for (int r : REDUCTIONS) {
            if (crop.width() / r >= size && crop.height() / r >= size) {
                return r;
            }
        }
        return 1;
    }

    private static void checkChannels(int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
    }

    private ImageHeader header(byte[] bytes) throws BadImageException {
        ImageHeader header = ImageHeader.read(bytes);
        long w = header.width();
        long h = header.height();
        if (w <= 0 || h <= 0 || w * h > maxPixels) {
            throw new BadImageException("image is " + w + "x" + h + " pixels; at most " + maxPixels + " are accepted"
                    + (limitName.isEmpty() ? "" : " (" + limitName + ")"));
        }
        return header;
    }

    /** Takes the image's share of the budget (uninterruptibly: a wait ends as soon as another decode finishes). */
    private int acquire(ImageHeader header) {
        if (budget == null) {
            return 0;
        }
        int held = (int) Math.min(budgetPermits, permits((long) header.width() * header.height()));
        budget.acquireUninterruptibly(held);
        return held;
    }

    private void release(int held) {
        if (held > 0) {
            budget.release(held);
        }
    }

    /** Bytes that are not a usable image; the message says why. */
    public static final class BadImageException extends IOException {
        public BadImageException(String message) {
            super(message);
        }
    }
}
