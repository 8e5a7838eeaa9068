package dev.maws.platform.image;

/**
 * The box of an image (display coordinates: after EXIF orientation, in pixels of the full-size
 * image, edges on integers) that becomes the model input, and whether the input is mirrored.
 */
public record Crop(double x0, double y0, double width, double height, boolean flip) {
    /** Chooses the crop once the image's display size is known (from its header, before the decode). */
    @FunctionalInterface
    public interface Chooser {
        Crop choose(int width, int height);
    }

    public static Crop whole(int width, int height) {
        return new Crop(0, 0, width, height, false);
    }
}
