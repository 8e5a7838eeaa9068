package dev.maws.devstack.fashion;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

import javax.imageio.ImageIO;

/**
 * Fashion-MNIST images and labels from IDX files: the committed fixture (500 train, 100 test
 * images, {@link #fixture}) or the full set of the Debian package {@code dataset-fashion-mnist}
 * ({@link #installed}). Images are 28x28 grayscale, one byte per pixel, row-major.
 */
public final class FashionMnist {
    /** Where the Debian package installs the IDX files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIDE = 28;

    /** The class names of labels 0-9, as the dataset names them. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /**
     * The WordNet 3.0 noun synset of each class (what label-service resolves the class names to; its
     * tests check the mapping).
     */
    public static final List<String> CLASS_SYNSETS = List.of("n03595614", "n04489008", "n04021028", "n03236735",
            "n03057021", "n04133789", "n04197391", "n03472535", "n02773037", "n02872752");

    /** Hashtags a person might post each class with (captions of the local pipeline). */
    public static final List<String> CLASS_HASHTAGS = List.of("tshirt", "trousers", "pullover", "dress", "coat", "sandals",
            "shirt", "sneakers", "bag", "boots");

    private final String split;
    private final byte[] pixels;
    private final byte[] labels;

    private FashionMnist(String split, byte[] pixels, byte[] labels) {
        this.split = split;
        this.pixels = pixels;
        this.labels = labels;
    }

    /** The committed subset; {@code split} is "train" or "t10k". */
    public static FashionMnist fixture(String split) {
        checkSplit(split);
        try (InputStream images = resource(split + "-images-idx3-ubyte.gz");
                InputStream labels = resource(split + "-labels-idx1-ubyte.gz")) {
            return read(split, images, labels);
        } catch (IOException e) {
            throw new UncheckedIOException("the Fashion-MNIST fixture of " + split + " cannot be read", e);
        }
    }

    /** Whether the Debian package's full set is present. */
    public static boolean isInstalled() {
        return Files.isReadable(DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz"));
    }

    /** The full split from {@link #DEBIAN_DIR}. */
    public static FashionMnist installed(String split) throws IOException {
        return fromDir(DEBIAN_DIR, split);
    }

    /** A split from a directory holding the four IDX files as the canonical release names them ({@code *.gz}). */
    public static FashionMnist fromDir(Path dir, String split) throws IOException {
        checkSplit(split);
        try (InputStream images = Files.newInputStream(dir.resolve(split + "-images-idx3-ubyte.gz"));
                InputStream labels = Files.newInputStream(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
            return read(split, images, labels);
        }
    }

    public String split() {
        return split;
    }

    public int size() {
        return labels.length;
    }

    /** Label 0-9 of image i. */
    public int label(int i) {
        return labels[i];
    }

    /** Image i as an 8-bit grayscale PNG. */
    public byte[] png(int i) {
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, SIDE, SIDE, java.util.Arrays.copyOfRange(pixels, i * SIDE * SIDE,
                (i + 1) * SIDE * SIDE));
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void checkSplit(String split) {
        if (!split.equals("train") && !split.equals("t10k")) {
            throw new IllegalArgumentException("Fashion-MNIST splits are \"train\" and \"t10k\", not \"" + split + "\"");
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = FashionMnist.class.getResourceAsStream("/fashion-mnist/" + name);
        if (in == null) {
            throw new IOException("fixture resource /fashion-mnist/" + name + " is missing from the classpath");
        }
        return in;
    }

    private static FashionMnist read(String split, InputStream imagesGz, InputStream labelsGz) throws IOException {
        DataInputStream images = new DataInputStream(new GZIPInputStream(imagesGz, 1 << 16));
        DataInputStream labels = new DataInputStream(new GZIPInputStream(labelsGz, 1 << 16));
        if (images.readInt() != 0x803 || labels.readInt() != 0x801) {
            throw new IOException("not Fashion-MNIST IDX files (wrong magic numbers)");
        }
        int n = images.readInt();
        int rows = images.readInt();
        int cols = images.readInt();
        if (rows != SIDE || cols != SIDE || labels.readInt() != n) {
            throw new IOException("IDX files of " + n + " images of " + rows + "x" + cols + " do not match 28x28 labels");
        }
        if (n < 0 || n > 100_000) { // Fashion-MNIST has 60,000 + 10,000; a corrupt count must not size the arrays
            throw new IOException("IDX files claim " + n + " images; Fashion-MNIST has at most 60,000 a split");
        }
        byte[] px = images.readNBytes(n * SIDE * SIDE);
        byte[] lb = labels.readNBytes(n);
        if (px.length != n * SIDE * SIDE || lb.length != n) {
            throw new IOException("IDX files end early: " + lb.length + " of " + n + " labels");
        }
        for (int i = 0; i < n; i++) {
            if (lb[i] < 0 || lb[i] > 9) {
                throw new IOException("label " + i + " is " + lb[i] + "; Fashion-MNIST labels are 0-9");
            }
        }
        return new FashionMnist(split, px, lb);
    }
}
