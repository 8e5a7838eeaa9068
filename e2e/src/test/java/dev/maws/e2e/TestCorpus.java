package dev.maws.e2e;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import dev.maws.devstack.fashion.FashionMnist;

/**
 * WebDataset corpora made from Fashion-MNIST for tests and measurements: RGB JPEGs (each image tinted
 * and scaled to one of {@link #SIZES}) with a weak caption of its class from {@link CaptionGenerator},
 * keys {@code NNNNNN}. {@link #small} adds the broken members a user's corpus has; {@link #main}
 * writes a larger clean one ({@code java ... TestCorpus DIR IMAGES SHARDS}).
 */
final class TestCorpus {
    static final int[] SIZES = {28, 40, 64};
    /** The skips {@link #small} puts in, one of each. */
    static final List<String> SMALL_SKIPS = List.of("CAPTION_WITHOUT_IMAGE", "NOT_AN_IMAGE", "TRUNCATED_IMAGE", "CAPTION_TOO_LONG",
            "INVALID_UTF8", "DUPLICATE_KEY", "TRUNCATED_TAR");
    /** The eval set's classes: names without a '/' (a folder name) that label-service resolves. */
    static final List<Integer> EVAL_CLASSES = List.of(1, 3, 7, 8);

    private TestCorpus() {}

    /**
     * The fixture's 500 training images in three shards ({@code shard-00000.tar} ...), with a caption
     * without image, a non-image under {@code .jpg}, a 1 MB caption, an invalid UTF-8 caption, a key of
     * shard 0 again in shard 1, a JPEG cut in half (no end-of-image marker), and the last
     * shard cut off in the middle of a member. Returns the directory.
     */
    static Path small(Path dir) throws IOException {
        Files.createDirectories(dir);
        FashionMnist train = FashionMnist.fixture("train");
        CaptionGenerator captions = new CaptionGenerator(new CaptionGenerator.Noise(0.9, 0.05, 7));
        int[][] ranges = {{0, 200}, {200, 400}, {400, train.size()}};
        for (int s = 0; s < ranges.length; s++) {
            Path file = dir.resolve(String.format("shard-%05d.tar", s));
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(file))) {
                for (int i = ranges[s][0]; i < ranges[s][1]; i++) {
                    String key = String.format("%06d", i);
                    byte[] jpeg = jpeg(train.png(i), i);
                    if (i == 5) { // cut in the middle: still a JPEG by its first bytes
                        jpeg = Arrays.copyOf(jpeg, jpeg.length / 2);
                    }
                    put(tar, key + ".jpg", jpeg);
                    put(tar, key + ".txt", utf8(captions.caption(i, train.label(i))));
                    if (s == 0 && i == 10) {
                        put(tar, "broken-caption-only.txt", utf8("#dress without a picture"));
                        put(tar, "broken-not-an-image.jpg", utf8("<html>not found</html>"));
                        put(tar, "broken-not-an-image.txt", utf8("#bag"));
                    }
                    if (s == 1 && i == 210) {
                        put(tar, "broken-long-caption.jpg", jpeg(train.png(i), i));
                        byte[] big = new byte[1 << 20];
                        Arrays.fill(big, (byte) 'a');
                        put(tar, "broken-long-caption.txt", big);
                        put(tar, "broken-utf8.jpg", jpeg(train.png(i), i));
                        put(tar, "broken-utf8.txt", new byte[] {'#', 'b', 'a', 'g', ' ', (byte) 0xC3, (byte) 0x28});
                        put(tar, "000000.jpg", jpeg(train.png(0), 0)); // shard 0's first key again
                        put(tar, "000000.txt", utf8("#coat"));
                    }
                }
            }
            if (s == ranges.length - 1) { // cut off: what a killed writer leaves
                byte[] whole = Files.readAllBytes(file);
                Files.write(file, Arrays.copyOf(whole, whole.length / 2 + 100));
            }
        }
        return dir;
    }

    /**
     * An ImageFolder evaluation set ({@code train/CLASS/*.jpg}, {@code test/CLASS/*.png}) of four
     * Fashion-MNIST classes: the fixture's training images to fit the probes, its test images to score.
     */
    static Path evalSet(Path dir) throws IOException {
        for (String split : List.of("train", "test")) {
            FashionMnist images = FashionMnist.fixture(split.equals("train") ? "train" : "t10k");
            for (int i = 0; i < images.size(); i++) {
                int label = images.label(i);
                if (EVAL_CLASSES.contains(label)) {
                    Path folder = dir.resolve(split).resolve(FashionMnist.CLASS_NAMES.get(label));
                    Files.createDirectories(folder);
                    Files.write(folder.resolve(i + ".jpg"), jpeg(images.png(i), i));
                }
            }
        }
        return dir;
    }

    /** {@code images} Fashion-MNIST training images (the installed set, else the fixture) in {@code shards} clean shards. */
    static Path fashion(Path dir, int images, int shards) throws IOException {
        Files.createDirectories(dir);
        FashionMnist train = FashionMnist.isInstalled() ? FashionMnist.installed("train") : FashionMnist.fixture("train");
        int n = Math.min(images, train.size());
        CaptionGenerator captions = new CaptionGenerator(new CaptionGenerator.Noise(0.8, 0.15, 42));
        int perShard = (n + shards - 1) / shards;
        for (int s = 0; s * perShard < n; s++) {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(
                    dir.resolve(String.format("shard-%05d.tar", s))))) {
                for (int i = s * perShard; i < Math.min(n, (s + 1) * perShard); i++) {
                    put(tar, String.format("%06d.jpg", i), jpeg(train.png(i), i));
                    put(tar, String.format("%06d.txt", i), utf8(captions.caption(i, train.label(i))));
                }
            }
        }
        return dir;
    }

    /** {@code java -cp ... dev.maws.e2e.TestCorpus DIR IMAGES SHARDS}: a clean corpus from Fashion-MNIST. */
    public static void main(String[] args) throws IOException {
        Path dir = fashion(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        System.out.println("wrote " + args[1] + " samples in " + args[2] + " shards to " + dir);
    }

    /** A grayscale PNG as an RGB JPEG at one of {@link #SIZES}, tinted by its index. */
    static byte[] jpeg(byte[] png, int index) throws IOException {
        BufferedImage gray = ImageIO.read(new ByteArrayInputStream(png));
        int side = SIZES[index % SIZES.length];
        BufferedImage rgb = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(gray, 0, 0, side, side, null);
        g.dispose();
        int tint = index % 3;
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int v = rgb.getRGB(x, y) & 0xff;
                int r = tint == 0 ? v : v * 3 / 4;
                int gr = tint == 1 ? v : v * 3 / 4;
                int b = tint == 2 ? v : v * 3 / 4;
                rgb.setRGB(x, y, (r << 16) | (gr << 8) | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(rgb, "jpeg", out);
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

}
