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
