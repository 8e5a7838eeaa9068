package dev.maws.platform.image;

import static org.bytedeco.leptonica.global.leptonica.L_SEVERITY_NONE;
import static org.bytedeco.leptonica.global.leptonica.pixConvertTo32;
import static org.bytedeco.leptonica.global.leptonica.pixDestroy;
import static org.bytedeco.leptonica.global.leptonica.pixGetData;
import static org.bytedeco.leptonica.global.leptonica.pixGetDepth;
import static org.bytedeco.leptonica.global.leptonica.pixGetHeight;
import static org.bytedeco.leptonica.global.leptonica.pixGetWidth;
import static org.bytedeco.leptonica.global.leptonica.pixGetWpl;
import static org.bytedeco.leptonica.global.leptonica.pixReadMemJpeg;
import static org.bytedeco.leptonica.global.leptonica.pixReadMemPng;
import static org.bytedeco.leptonica.global.leptonica.pixReadMemWebP;
import static org.bytedeco.leptonica.global.leptonica.setMsgSeverity;

import java.nio.IntBuffer;

import org.bytedeco.leptonica.PIX;

import dev.maws.platform.image.ImageDecoder.BadImageException;

/**
 * One decoded image in native memory, as Leptonica holds it: rows of 32-bit words, red in the high
 * byte, then green, blue, alpha. Leptonica is the decoder because it links libjpeg-turbo 3 (SIMD),
 * libpng and libwebp into one small native library shipped in a Maven jar (BENCHMARKS.md, "data",
 * has the candidates measured). What it does for each kind of input:
 * <ul>
 * <li>JPEG: gray, YCbCr and CMYK/YCCK (Adobe's inverted CMYK included) become RGB; {@code reduction}
 * 2, 4 or 8 decodes at that fraction of the size in the DCT domain (libjpeg's {@code scale_denom}),
 * which skips most of the inverse DCT; any decoder warning (truncated or damaged data) is a failure.
 * <li>PNG: palette, gray, 16-bit (the low byte dropped) and alpha are read; alpha is kept in the low
 * byte and ignored by the samplers, which take the colour channels as stored.
 * <li>WebP: lossy and lossless, with or without alpha.
 * </ul>
 * Not thread-confined: each decode owns its image; {@link #close} frees it.
 */
final class NativeImage implements AutoCloseable {
    static {
        setMsgSeverity(L_SEVERITY_NONE); // failures surface as BadImageException, not as lines on stderr
    }

    final int width;
    final int height;
    final int wordsPerLine;
    /** wordsPerLine x height words, valid until {@link #close}. */
    final IntBuffer words;
    private PIX pix;

    private NativeImage(PIX pix) {
        this.pix = pix;
        this.width = pixGetWidth(pix);
        this.height = pixGetHeight(pix);
        this.wordsPerLine = pixGetWpl(pix);
        this.words = pixGetData(pix).capacity((long) wordsPerLine * height).asBuffer();
    }

    /** @param reduction 1, or for JPEG 2, 4 or 8: decode at 1/reduction of the size (rounded up) */
    static NativeImage decode(byte[] bytes, ImageHeader.Format format, int reduction) throws BadImageException {
        PIX pix = switch (format) {
            case JPEG -> pixReadMemJpeg(bytes, bytes.length, 0, reduction, new int[1], 0);
            case PNG -> pixReadMemPng(bytes, bytes.length);
            case WEBP -> pixReadMemWebP(bytes, bytes.length);
        };
        if (pix == null || pix.isNull()) {
            throw new BadImageException("corrupt image: the " + format + " data is damaged or ends early ("
                    + bytes.length + " bytes)");
        }
        if (pixGetDepth(pix) != 32) {
            PIX rgb = pixConvertTo32(pix);
            pixDestroy(pix);
            if (rgb == null || rgb.isNull()) {
                throw new BadImageException("corrupt image: " + format + " pixels could not be converted to RGB");
            }
            pix = rgb;
        }
        return new NativeImage(pix);
    }

    @Override
    public void close() {
        if (pix != null) {
            pixDestroy(pix);
            pix = null;
        }
    }
}
