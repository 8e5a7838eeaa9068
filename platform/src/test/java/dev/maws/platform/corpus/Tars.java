package dev.maws.platform.corpus;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Tar shards and images made in tests. */
final class Tars {
    private Tars() {
    }

    static byte[] jpeg(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 7 + y * 13 + seed * 31) * 0x010203);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "jpeg", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] png(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A WebP's container header (RIFF, size, WEBP, a VP8L chunk tag) with filler: enough to sniff, not to decode. */
    static byte[] webp() {
        byte[] b = new byte[64];
        System.arraycopy("RIFF".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 4);
        b[4] = 56;
        System.arraycopy("WEBPVP8L".getBytes(StandardCharsets.US_ASCII), 0, b, 8, 8);
        return b;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Members in the order added; {@link #bytes()} is the tar with its end-of-archive marker. */
    static final class Builder {
        private final java.util.List<String> order = new java.util.ArrayList<>();
        private final java.util.List<Object> contents = new java.util.ArrayList<>(); // data, a Link, or null for a directory

        Builder add(String name, byte[] data) {
            order.add(name);
            contents.add(data);
            return this;
        }

        Builder add(String name, String text) {
            return add(name, utf8(text));
        }

        /** A good sample: {@code key.jpg} (a small JPEG) and {@code key.txt}. */
        Builder sample(String key, String caption) {
            return add(key + ".jpg", jpeg(8 + key.length() % 5, 8, key.hashCode())).add(key + ".txt", caption);
        }

        Builder symlink(String name, String target) {
            order.add(name);
            contents.add(new Link(target));
            return this;
        }

        Builder directory(String name) {
            order.add(name.endsWith("/") ? name : name + "/");
            contents.add(null);
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (int i = 0; i < order.size(); i++) {
                    Object c = contents.get(i);
                    if (c instanceof Link link) {
                        TarArchiveEntry e = new TarArchiveEntry(order.get(i), TarConstants.LF_SYMLINK);
                        e.setLinkName(link.target());
                        tar.putArchiveEntry(e);
                    } else if (c == null) {
                        tar.putArchiveEntry(new TarArchiveEntry(order.get(i)));
                    } else {
                        byte[] data = (byte[]) c;
                        TarArchiveEntry e = new TarArchiveEntry(order.get(i));
                        e.setSize(data.length);
                        tar.putArchiveEntry(e);
                        tar.write(data);
                    }
                    tar.closeArchiveEntry();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }

        Path write(Path file) {
            try {
                Files.createDirectories(file.getParent());
                return Files.write(file, bytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private record Link(String target) {
        }
    }

    /** The tar's members without the end-of-archive marker: where the last member's (padded) data ends. */
    static byte[] withoutEndMarker(byte[] tar) {
        int end = tar.length;
        while (end >= 512 && isZero(tar, end - 512)) {
            end -= 512;
        }
        return java.util.Arrays.copyOf(tar, end);
    }

    private static boolean isZero(byte[] b, int from) {
        for (int i = from; i < from + 512; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Where in {@code tar} the first occurrence of {@code data} starts (the test's own view of member offsets). */
    static int indexOf(byte[] tar, byte[] data) {
        outer:
        for (int i = 0; i + data.length <= tar.length; i++) {
            for (int j = 0; j < data.length; j++) {
                if (tar[i + j] != data[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
