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
     * {@code FF}, so neither occurs inside it); a PNG has an {@code IEND} chunk, with its CRC, after its
     * last {@code IDAT};
     * a WebP holds the bytes its RIFF header counts. A file cut short (an interrupted download or copy)
     * fails; bytes after the end (padding some writers add) do not matter.
     */
    public boolean complete(byte[] bytes) {
        return switch (this) {
            case JPEG -> lastOf(bytes, 2, (b, i) -> marker(b, i, 0xD9) || marker(b, i, 0xDA))
                    .map(i -> marker(bytes, i, 0xD9) && i > 1).orElse(false);
            // IEND's type, then its CRC, the file's last 4 bytes
            case PNG -> lastOf(bytes, 4, (b, i) -> chunk(b, i, "IEND") || chunk(b, i, "IDAT"))
                    .map(i -> chunk(bytes, i, "IEND") && i + 8 <= bytes.length).orElse(false);
            case WEBP -> bytes.length >= 12 && bytes.length - 8L >= littleEndianInt(bytes, 4);
        };
    }

    private interface At {
        boolean test(byte[] bytes, int i);
    }

    /**
     * The last offset at which {@code at} holds, scanning back from the end (a whole file's end marker
     * is within its last bytes, so only a file cut short is read through), or empty.
     */
    private static Optional<Integer> lastOf(byte[] bytes, int width, At at) {
        for (int i = bytes.length - width; i >= 0; i--) {
            if (at.test(bytes, i)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    private static boolean marker(byte[] b, int i, int code) {
        return (b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == code;
    }

    private static boolean chunk(byte[] b, int i, String type) {
        return b[i] == type.charAt(0) && b[i + 1] == type.charAt(1) && b[i + 2] == type.charAt(2)
                && b[i + 3] == type.charAt(3);
    }

    private static long littleEndianInt(byte[] bytes, int at) {
        return (bytes[at] & 0xFFL) | (bytes[at + 1] & 0xFFL) << 8 | (bytes[at + 2] & 0xFFL) << 16
                | (bytes[at + 3] & 0xFFL) << 24;
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
