package dev.maws.platform.corpus;

import java.util.Optional;

/** The image formats a corpus may hold, told apart by their first bytes (not by the member's extension). */
public enum ImageFormat {
    /** {@code FF D8 FF} */
    JPEG,
    /** {@code 89 'P' 'N' 'G' 0D 0A 1A 0A} */
    PNG,
    /** {@code 'RIFF' <size> 'WEBP'} */
    WEBP;

    /** The format whose signature {@code bytes} start with, or empty when none does. */
    public static Optional<ImageFormat> sniff(byte[] bytes) {
        if (startsWith(bytes, 0, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(bytes, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(PNG);
        }
        if (startsWith(bytes, 0, 'R', 'I', 'F', 'F') && startsWith(bytes, 8, 'W', 'E', 'B', 'P')) {
            return Optional.of(WEBP);
        }
        return Optional.empty();
    }

    /**
     * Whether the image's bytes run to its format's end, without decoding it: a JPEG has an end-of-image
     * marker ({@code FF D9}) after its last start-of-scan ({@code FF DA}; entropy-coded data stuffs every
     * {@code FF}, so neither occurs inside it); a PNG has an {@code IEND} chunk after its last {@code IDAT};
     * a WebP holds the bytes its RIFF header counts. A file cut short (an interrupted download or copy)
     * fails; bytes after the end (padding some writers add) do not matter.
     */
    public boolean complete(byte[] bytes) {
        return switch (this) {
            case JPEG -> lastMarker(bytes, 0xD9) > Math.max(lastMarker(bytes, 0xDA), 1);
            // IEND's type, then its CRC, the file's last 4 bytes
            case PNG -> lastChunk(bytes, "IEND") > lastChunk(bytes, "IDAT") && lastChunk(bytes, "IDAT") > 0
                    && lastChunk(bytes, "IEND") + 8 <= bytes.length;
            case WEBP -> bytes.length >= 12 && bytes.length - 8L >= littleEndianInt(bytes, 4);
        };
    }

    /** Offset of the last {@code FF code} in {@code bytes}, or -1. */
    private static int lastMarker(byte[] bytes, int code) {
        for (int i = bytes.length - 2; i >= 0; i--) {
            if ((bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == code) {
                return i;
            }
        }
        return -1;
    }

    /** Offset of the last occurrence of a chunk type's four letters, or -1. */
    private static int lastChunk(byte[] bytes, String type) {
        for (int i = bytes.length - 4; i >= 0; i--) {
            if (bytes[i] == type.charAt(0) && bytes[i + 1] == type.charAt(1) && bytes[i + 2] == type.charAt(2)
                    && bytes[i + 3] == type.charAt(3)) {
                return i;
            }
        }
        return -1;
    }

    private static long littleEndianInt(byte[] bytes, int at) {
        return (bytes[at] & 0xFFL) | (bytes[at + 1] & 0xFFL) << 8 | (bytes[at + 2] & 0xFFL) << 16 | (bytes[at + 3] & 0xFFL) << 24;
    }

    private static boolean startsWith(byte[] bytes, int from, int... signature) {
        if (bytes.length < from + signature.length) {
            return false;
        }
        for (int i = 0; i < signature.length; i++) {
            if ((bytes[from + i] & 0xFF) != signature[i]) {
                return false;
            }
        }
        return true;
    }
}
