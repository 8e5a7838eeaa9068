package dev.maws.bench;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.leptonica.PIX;
import org.bytedeco.leptonica.global.leptonica;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

import dev.maws.platform.image.Crop;
import dev.maws.platform.image.DecodedImage;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.image.Pixels;
import dev.maws.trainer.data.Augmentation;

/**
 * The decoders measured by {@code ./bench data}, each as "decode only" (bytes to 8-bit pixels) and,
 * where it is a whole path, "decode + crop + flip + normalise" to (3, size, size) floats. Each op
 * takes the index of the image and draws its crop and flip from a random stream of its own.
 */
final class DecodeCandidates {
    /** One unit of work on image {@code i}; each thread gets its own op. */
    @FunctionalInterface
    interface Op {
        void run(int i) throws Exception;
    }

    private final List<byte[]> images;
    private final int size;
    private final Augmentation augmentation;
    private final Pixels.Normalization norm = Pixels.Normalization.standard(3);
    private final ImageDecoder decoder = new ImageDecoder(40_000_000);

    DecodeCandidates(List<byte[]> images, int size, Augmentation augmentation) {
        this.images = images;
        this.size = size;
        this.augmentation = augmentation;
    }

    /** The trainer's path: {@link Augmentation#apply} through {@link ImageDecoder#decodeCrop} (Leptonica). */
    Op chosen(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[3 * size * size];
        return i -> augmentation.apply(decoder, images.get(i), 3, size, norm, random, out, 0);
    }

    /** Leptonica's JPEG decode alone, to 32-bit RGBA in native memory (what {@link #chosen} starts with). */
    Op leptonicaDecode() {
        return i -> {
            byte[] b = images.get(i);
            PIX pix = leptonica.pixReadMemJpeg(b, b.length, 0, 1, new int[1], 0);
            leptonica.pixDestroy(pix);
        };
    }

    /** The JDK's ImageIO JPEG reader (on Debian's OpenJDK, the system libjpeg-turbo) to a BGR raster. */
    Op imageIoDecode() {
        return readerDecode("com.sun.imageio.");
    }

    /** TwelveMonkeys' ImageIO JPEG reader (adds CMYK, EXIF; its baseline decode is the JDK's). */
    Op twelveMonkeysDecode() {
        return readerDecode("com.twelvemonkeys.");
    }

    /** The path before Leptonica: ImageIO, the whole image as floats, then {@link Pixels#cropResize}. */
    Op imageIoFloatsCropResize(long seed) {
        ImageReader reader = reader("com.sun.imageio.");
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[3 * size * size];
        return i -> {
            DecodedImage img = floats(read(reader, images.get(i)));
            Crop c = augmentation.crop(img.width(), img.height(), random);
            Pixels.cropResize(img, c.x0(), c.y0(), c.width(), c.height(), size, c.flip(), norm, out, 0);
        };
    }

    /** OpenCV's {@code imdecode} (its own libjpeg-turbo) to BGR. */
    Op openCvDecode() {
        opencv_core.setNumThreads(1);
        BytePointer buffer = new BytePointer(1 << 20);
        return i -> {
            try (Mat encoded = bytes(buffer, images.get(i)); Mat img = imdecode(encoded, IMREAD_COLOR)) {
                img.cols();
            }
        };
    }

    /** OpenCV end to end: imdecode, the crop as a view, {@code resize} (INTER_LINEAR), {@code flip}, then normalise in Java. */
    Op openCvCropResize(long seed) {
        opencv_core.setNumThreads(1);
        BytePointer buffer = new BytePointer(1 << 20);
        SplittableRandom random = new SplittableRandom(seed);
        Mat resized = new Mat();
        byte[] bgr = new byte[3 * size * size];
        float[] out = new float[3 * size * size];
        return i -> {
            try (Mat encoded = bytes(buffer, images.get(i)); Mat img = imdecode(encoded, IMREAD_COLOR)) {
                Crop c = augmentation.crop(img.cols(), img.rows(), random);
                try (Rect box = new Rect((int) c.x0(), (int) c.y0(), (int) Math.round(c.width()), (int) Math.round(c.height()));
                        Mat view = img.apply(box); Size to = new Size(size, size)) {
                    resize(view, resized, to, 0, 0, INTER_LINEAR);
                }
                if (c.flip()) {
                    opencv_core.flip(resized, resized, 1);
                }
                resized.data().get(bgr);
                normaliseBgr(bgr, out);
            }
        };
    }

    private Op readerDecode(String readerClassPrefix) {
        ImageReader reader = reader(readerClassPrefix);
        return i -> read(reader, images.get(i));
    }

    private static ImageReader reader(String classPrefix) {
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext();) {
            ImageReader r = it.next();
            if (r.getClass().getName().startsWith(classPrefix)) {
                return r;
            }
        }
        throw new IllegalStateException("no ImageIO JPEG reader " + classPrefix + "* on the classpath");
    }

    private static BufferedImage read(ImageReader reader, byte[] bytes) throws IOException {
        try (MemoryCacheImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            return reader.read(0);
        }
    }

    /** ImageIO's image as (3, H, W) floats in [0, 1], as ImageDecoder made them before Leptonica. */
    private static DecodedImage floats(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] px = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            px[i] = (argb[i] >> 16 & 0xFF) / 255f;
            px[plane + i] = (argb[i] >> 8 & 0xFF) / 255f;
            px[2 * plane + i] = (argb[i] & 0xFF) / 255f;
        }
        return new DecodedImage(3, h, w, px);
    }

    /** The encoded bytes as a 1-row Mat over {@code buffer} (1 MiB: more than any photo of the set). */
    private static Mat bytes(BytePointer buffer, byte[] b) {
        if (b.length > buffer.capacity()) {
            throw new IllegalArgumentException("an image of " + b.length + " bytes: more than the OpenCV row's buffer");
        }
        buffer.position(0).put(b, 0, b.length);
        return new Mat(1, b.length, CV_8UC1, buffer);
    }

    private void normaliseBgr(byte[] bgr, float[] out) {
        int plane = size * size;
        for (int c = 0; c < 3; c++) {
            float scale = 1f / (255f * norm.std()[c]);
            float shift = norm.mean()[c] / norm.std()[c];
            for (int i = 0; i < plane; i++) {
                out[c * plane + i] = (bgr[3 * i + 2 - c] & 0xFF) * scale - shift;
            }
        }
    }
}
