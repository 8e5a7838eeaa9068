package dev.maws.platform.corpus;

import java.util.Locale;

/**
 * A tar member's name split as webdataset splits it: the key is the path up to the first dot of the
 * file name, the extension everything after it, lower case ({@code dir/abc.seg.PNG} is key
 * {@code dir/abc}, extension {@code seg.png}). A leading {@code ./} is dropped.
 */
record MemberName(String key, String extension) {

    /** The name's key and extension, or null when it has neither: no dot, a file name starting with a dot, nothing after the dot. */
    static MemberName parse(String name) {
        String path = name.startsWith("./") ? name.substring(2) : name;
        int slash = path.lastIndexOf('/');
        int dot = path.indexOf('.', slash + 1);
        if (dot <= slash + 1 || dot == path.length() - 1) {
            return null;
        }
        return new MemberName(path.substring(0, dot), path.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    boolean isImage() {
        return switch (extension) {
            case "jpg", "jpeg", "png", "webp" -> true;
            default -> false;
        };
    }
}
