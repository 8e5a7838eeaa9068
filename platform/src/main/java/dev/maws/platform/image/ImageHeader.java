package dev.maws.platform.image;

import java.nio.charset.StandardCharsets;

import dev.maws.platform.image.ImageDecoder.BadImageException;

/**
 * What the first bytes of an image say, read without decoding a pixel: the format, the stored size
 * and, for JPEG, the EXIF orientation. It comes first so that a small file claiming a huge image (a
 * decompression bomb) is refused cheaply, and so that a crop can be chosen before the decode.
 *
 * @param width stored width in pixels (before {@code orientation} is applied)
 * @param height stored height in pixels
 * @param orientation EXIF orientation 1-8 (1 = as stored); read from JPEG's APP1 Exif segment only
 */
record ImageHeader(Format format, int width, int height, int orientation) {
    enum Format { JPEG, PNG, WEBP }

    /** Width as displayed: orientations 5-8 swap the axes. */
    int displayWidth() {
        return orientation >= 5 ? height : width;
    }

    int displayHeight() {
        return orientation >= 5 ? width : height;
    }

    static ImageHeader read(byte[] b) throws BadImageException {
        try {
            if (b.length >= 3 && u8(b, 0) == 0xFF && u8(b, 1) == 0xD8 && u8(b, 2) == 0xFF) {
                return jpeg(b);
            }
            if (b.length >= 8 && u32be(b, 0) == 0x89504E47L && u32be(b, 4) == 0x0D0A1A0AL) {
                if (!ascii(b, 12, "IHDR")) {
                    throw new BadImageException("corrupt image: PNG without IHDR chunk");
                }
                return new ImageHeader(Format.PNG, size(u32be(b, 16)), size(u32be(b, 20)), 1);
            }
            if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
                return webp(b);
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new BadImageException("corrupt image: the header ends early (" + b.length + " bytes)");
        }
        String other = otherFormat(b);
        throw new BadImageException(other == null
                ? "not a PNG, JPEG or WebP image (" + b.length + " bytes, unknown format)"
                : "images must be PNG, JPEG or WebP, this one is " + other);
    }

    /** Walks the marker segments up to the frame header (SOFn), noting the orientation of an Exif APP1 on the way. */
    private static ImageHeader jpeg(byte[] b) throws BadImageException {
        int orientation = 1;
        int i = 2;
        while (true) {
            while (u8(b, i) != 0xFF) { // bytes between segments: tolerated, as libjpeg does
                i++;
            }
            while (u8(b, i) == 0xFF) { // fill bytes
                i++;
            }
            int marker = u8(b, i++);
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                continue; // no length
            }
            if (marker == 0xD9 || marker == 0xDA) {
                throw new BadImageException("corrupt image: JPEG without a frame header");
            }
            int length = u16be(b, i);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                return new ImageHeader(Format.JPEG, u16be(b, i + 5), u16be(b, i + 3), orientation);
            }
            if (marker == 0xE1 && length >= 8 && ascii(b, i + 2, "Exif\0\0")) {
                orientation = exifOrientation(b, i + 8, Math.min(b.length, i + length));
            }
            i += length;
        }
    }

    /**
     * Tag 0x0112 of IFD0 in the TIFF structure from {@code tiff} to {@code end}; 1 when absent, out of
     * range or unreadable (a damaged Exif block does not make the picture unusable).
     */
    private static int exifOrientation(byte[] b, int tiff, int end) {
        if (tiff + 8 > end) {
            return 1;
        }
        boolean little = u8(b, tiff) == 'I';
        long ifd = tiff + u32(b, tiff + 4, little);
        if (ifd + 2 > end) {
            return 1;
        }
        int entries = u16(b, (int) ifd, little);
        for (int e = 0; e < entries && ifd + 2 + 12L * (e + 1) <= end; e++) {
            int entry = (int) ifd + 2 + 12 * e;
            if (u16(b, entry, little) == 0x0112) {
                int value = u16(b, entry + 8, little);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    /** The canvas size of a lossy (VP8), lossless (VP8L) or extended (VP8X) WebP. */
    private static ImageHeader webp(byte[] b) throws BadImageException {
        int c = 12; // the first chunk
        if (ascii(b, c, "VP8 ")) {
            if (u8(b, c + 11) != 0x9D || u8(b, c + 12) != 0x01 || u8(b, c + 13) != 0x2A) {
                throw new BadImageException("corrupt image: WebP (VP8) without a frame start code");
            }
            return new ImageHeader(Format.WEBP, u16le(b, c + 14) & 0x3FFF, u16le(b, c + 16) & 0x3FFF, 1);
        }
        if (ascii(b, c, "VP8L")) {
            long bits = u32le(b, c + 9);
            return new ImageHeader(Format.WEBP, (int) (bits & 0x3FFF) + 1, (int) ((bits >> 14) & 0x3FFF) + 1, 1);
        }
        if (ascii(b, c, "VP8X")) {
            return new ImageHeader(Format.WEBP, u24le(b, c + 12) + 1, u24le(b, c + 15) + 1, 1);
        }
        throw new BadImageException("corrupt image: WebP without a VP8, VP8L or VP8X chunk");
    }

    /** The name of a well-known format this decoder does not take, for the refusal; null if unknown. */
    private static String otherFormat(byte[] b) {
        if (ascii(b, 0, "GIF8")) {
            return "gif";
        }
        if (ascii(b, 0, "BM")) {
            return "bmp";
        }
        if (ascii(b, 0, "II*\0") || ascii(b, 0, "MM\0*")) {
            return "tiff";
        }
        return null;
    }

    /** A 32-bit size as an int; sizes past 2^31 become 0, which the size check refuses. */
    private static int size(long v) {
        return v > Integer.MAX_VALUE ? 0 : (int) v;
    }

    private static boolean ascii(byte[] b, int at, String s) {
        byte[] expected = s.getBytes(StandardCharsets.ISO_8859_1);
        if (at + expected.length > b.length) {
            return false;
        }
        for (int k = 0; k < expected.length; k++) {
            if (b[at + k] != expected[k]) {
                return false;
            }
        }
        return true;
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static int u16be(byte[] b, int i) {
        return u8(b, i) << 8 | u8(b, i + 1);
    }

    private static int u16le(byte[] b, int i) {
        return u8(b, i) | u8(b, i + 1) << 8;
    }

    private static int u24le(byte[] b, int i) {
        return u16le(b, i) | u8(b, i + 2) << 16;
    }

    private static long u32be(byte[] b, int i) {
        return (long) u16be(b, i) << 16 | u16be(b, i + 2);
    }

    private static long u32le(byte[] b, int i) {
        return u16le(b, i) | (long) u16le(b, i + 2) << 16;
    }

    private static int u16(byte[] b, int i, boolean little) {
        return little ? u16le(b, i) : u16be(b, i);
    }

    private static long u32(byte[] b, int i, boolean little) {
        return little ? u32le(b, i) : u32be(b, i);
    }
}
