package dev.maws.trainer.data;

import java.util.SplittableRandom;

import dev.maws.platform.image.Crop;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.image.Pixels;

/**
 * Training-time view of an image: random resized crop (area fraction in [minScale, maxScale],
 * aspect ratio in [3/4, 4/3], as torchvision's {@code RandomResizedCrop}) and horizontal flip with
 * probability 0.5; or, with both off, the whole image resized.
 */
public record Augmentation(boolean randomResizedCrop, double minScale, double maxScale, boolean horizontalFlip) {
    private static final double LOG_RATIO_MIN = Math.log(3.0 / 4.0);
    private static final double LOG_RATIO_MAX = Math.log(4.0 / 3.0);

    public static final Augmentation NONE = new Augmentation(false, 1, 1, false);

    /**
     * Decodes {@code image} and writes its augmented, normalised (C, size, size) view into {@code out}
     * at {@code offset}: the crop is drawn from the header's size, so only the crop is resampled.
     */
    public void apply(ImageDecoder decoder, byte[] image, int channels, int size, Pixels.Normalization norm,
            SplittableRandom random, float[] out, int offset) throws ImageDecoder.BadImageException {
        decoder.decodeCrop(image, channels, (w, h) -> crop(w, h, random), size, norm, out, offset);
    }

    /** The crop box (drawn first) and the flip (drawn second) of one view of a {@code width x height} image. */
    public Crop crop(int width, int height, SplittableRandom random) {
        double[] box = randomResizedCrop ? cropBox(width, height, random) : new double[] {0, 0, width, height};
        boolean flip = horizontalFlip && random.nextBoolean();
        return new Crop(box[0], box[1], box[2], box[3], flip);
    }

    /** (x0, y0, w, h) of a random crop; after 10 misses the largest centred crop of a valid ratio. */
    double[] cropBox(int width, int height, SplittableRandom random) {
        double area = (double) width * height;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + (maxScale - minScale) * random.nextDouble());
            double ratio = Math.exp(LOG_RATIO_MIN + (LOG_RATIO_MAX - LOG_RATIO_MIN) * random.nextDouble());
            int w = (int) Math.round(Math.sqrt(target * ratio));
            int h = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height) {
                int x = random.nextInt(width - w + 1);
                int y = random.nextInt(height - h + 1);
                return new double[] {x, y, w, h};
            }
        }
        double ratio = (double) width / height;
        double w = width;
        double h = height;
        if (ratio < 3.0 / 4.0) {
            h = Math.round(w / (3.0 / 4.0));
        } else if (ratio > 4.0 / 3.0) {
            w = Math.round(h * (4.0 / 3.0));
        }
        return new double[] {(width - w) / 2, (height - h) / 2, w, h};
    }
}
