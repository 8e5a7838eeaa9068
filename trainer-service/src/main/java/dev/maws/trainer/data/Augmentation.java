package dev.maws.trainer.data;

import java.util.SplittableRandom;

import dev.maws.platform.image.DecodedImage;
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

    /** Writes the augmented, normalised (C, size, size) view of {@code img} into {@code out} at {@code offset}. */
    public void apply(DecodedImage img, int size, Pixels.Normalization norm, SplittableRandom random, float[] out,
            int offset) {
        double x0 = 0;
        double y0 = 0;
        double w = img.width();
        double h = img.height();
        if (randomResizedCrop) {
            double[] box = cropBox(img.width(), img.height(), random);
            x0 = box[0];
            y0 = box[1];
            w = box[2];
            h = box[3];
        }
        boolean flip = horizontalFlip && random.nextBoolean();
        Pixels.cropResize(img, x0, y0, w, h, size, flip, norm, out, offset);
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
