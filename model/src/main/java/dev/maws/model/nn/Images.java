package dev.maws.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.vit.VitConfig;

/** Batches of images from Java arrays into a manager (and back). */
public final class Images {
    private Images() {}

    /** pixels: n * C * H * W floats, image after image, channel-major -> (N, C, H, W). */
    public static NDArray batch(NDManager m, float[] pixels, int n, VitConfig c) {
        long expected = (long) n * c.channels() * c.imageSize() * c.imageSize();
        if (pixels.length != expected) {
            throw new IllegalArgumentException("a batch of " + n + " images of " + c.channels() + "x" + c.imageSize() + "x"
                    + c.imageSize() + " needs " + expected + " floats, got " + pixels.length);
        }
        return HostArrays.floats(m, pixels, new Shape(n, c.channels(), c.imageSize(), c.imageSize()));
    }
}
