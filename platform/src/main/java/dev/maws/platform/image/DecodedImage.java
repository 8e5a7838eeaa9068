package dev.maws.platform.image;

/**
 * A decoded image: {@code channels} planes of {@code height x width} floats in [0, 1], channel-major
 * (C, H, W), the layout the models take.
 */
public record DecodedImage(int channels, int height, int width, float[] pixels) {
    public DecodedImage {
        if (pixels.length != channels * height * width) {
            throw new IllegalArgumentException(channels + "x" + height + "x" + width + " pixels need "
                    + channels * height * width + " floats, got " + pixels.length);
        }
    }

    public float at(int c, int y, int x) {
        return pixels[(c * height + y) * width + x];
    }
}
