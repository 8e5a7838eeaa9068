package dev.maws.bench;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * ImageNet-like JPEGs cut from real photographs: from each source photo, {@code perPhoto} windows of
 * 4:3 (one in four 3:4, portrait), each between 60 % and 100 % of the side of the largest such
 * window, scaled to 500x375 (or 375x500) and written at JPEG quality 90 with 4:2:0 chroma (the JDK's
 * writer, whose quality 0.9 is libjpeg's {@code -quality 90}): scaled down three to ten times, as a
 * web photo is from its camera's. The set is the same for the same sources and seed; its bits per
 * pixel are in the benchmark's output, since they set the entropy-decoding work.
 */
final class PhotoSet {
    static final int LONG_SIDE = 500;
    static final int SHORT_SIDE = 375;

    /** Debian's mate-backgrounds: twelve nature photographs (flowers, leaves, dune, storm, water). */
    static final Path MATE_PHOTOS = Path.of("/usr/share/backgrounds/mate/nature");
    /** Debian's plasma-workspace-wallpapers: the twelve of its wallpapers that are photographs (the rest are drawn). */
    static final Path PLASMA_WALLPAPERS = Path.of("/usr/share/wallpapers");
    static final List<String> PLASMA_PHOTOS = List.of("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour",
            "EveningGlow", "FallenLeaf", "Grey", "Kite", "OneStandsOut", "Path", "summer_1am", "Volna");
    static final String INSTALL_HINT = "apt-get install mate-backgrounds plasma-workspace-wallpapers (Debian), "
            + "or --photos DIR with JPEG photographs";

    private PhotoSet() {}

    /**
     * The photographs of both Debian packages that are installed (each photo's largest JPEG), or the
     * JPEGs in {@code dir} when given; fails with what to install when there are none.
     */
    static List<Path> sources(Path dir) throws IOException {
        List<Path> photos = new ArrayList<>();
        if (dir != null) {
            photos.addAll(jpegs(dir));
        } else {
            photos.addAll(jpegs(MATE_PHOTOS));
            for (String name : PLASMA_PHOTOS) {
                List<Path> sizes = jpegs(PLASMA_WALLPAPERS.resolve(name).resolve("contents/images"));
                sizes.stream().max(java.util.Comparator.comparingLong(PhotoSet::pixels)).ifPresent(photos::add);
            }
        }
        if (photos.isEmpty()) {
            throw new IllegalStateException("no JPEG photographs in " + (dir != null ? dir : MATE_PHOTOS + " or "
                    + PLASMA_WALLPAPERS) + ": " + INSTALL_HINT);
        }
        return photos;
    }

    private static List<Path> jpegs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).matches(".*\\.jpe?g"))
                    .sorted().toList();
        }
    }

    /** Plasma names its sizes WIDTHxHEIGHT.jpg. */
    private static long pixels(Path p) {
        String[] wh = p.getFileName().toString().replaceFirst("\\..*", "").split("x");
        return wh.length == 2 && wh[0].matches("\\d+") && wh[1].matches("\\d+") ? Long.parseLong(wh[0]) * Long.parseLong(wh[1]) : 0;
    }

    /** Writes the set into {@code outDir} (emptied of earlier JPEGs first) and returns its files in order. */
    static List<Path> write(List<Path> sources, int perPhoto, long seed, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        try (Stream<Path> old = Files.list(outDir)) {
            for (Path p : old.filter(p -> p.toString().endsWith(".jpg")).toList()) {
                Files.delete(p);
            }
        }
        Random random = new Random(seed);
        List<Path> files = new ArrayList<>();
        for (Path source : sources) {
            BufferedImage photo = ImageIO.read(source.toFile());
            if (photo == null) {
                throw new IOException("not a readable image: " + source);
            }
            String stem = stem(source);
            for (int i = 0; i < perPhoto; i++) {
                boolean portrait = random.nextInt(4) == 0;
                int outW = portrait ? SHORT_SIDE : LONG_SIDE;
                int outH = portrait ? LONG_SIDE : SHORT_SIDE;
                // the largest window of the output's aspect ratio, then a random fraction of it
                double full = Math.min(photo.getWidth() / (double) outW, photo.getHeight() / (double) outH);
                double scale = full * (0.6 + 0.4 * random.nextDouble());
                int w = (int) (outW * scale);
                int h = (int) (outH * scale);
                int x = random.nextInt(photo.getWidth() - w + 1);
                int y = random.nextInt(photo.getHeight() - h + 1);
                Path file = outDir.resolve(String.format("%s-%02d.jpg", stem, i));
                writeJpeg(downscale(photo.getSubimage(x, y, w, h), outW, outH), 0.9f, file);
                files.add(file);
            }
        }
        return files;
    }

    /** The file name without extension; plasma's files are named by size, so its photo's folder name. */
    private static String stem(Path source) {
        String name = source.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return name.matches("\\d+x\\d+") ? source.getParent().getParent().getParent().getFileName().toString() : name;
    }

    /** Halves while more than twice too large, then one step to the size, each drawn bicubic: little aliasing. */
    private static BufferedImage downscale(BufferedImage src, int w, int h) {
        BufferedImage img = src;
        while (img.getWidth() >= 2 * w && img.getHeight() >= 2 * h) {
            img = draw(img, img.getWidth() / 2, img.getHeight() / 2);
        }
        return draw(img, w, h);
    }

    private static BufferedImage draw(BufferedImage src, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    /** The JDK's own writer, also where TwelveMonkeys' (a wrapper of it) is on the classpath. */
    private static ImageWriter jdkJpegWriter() {
        for (java.util.Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext();) {
            ImageWriter w = it.next();
            if (w.getClass().getName().startsWith("com.sun.imageio.")) {
                return w;
            }
        }
        throw new IllegalStateException("the JDK's JPEG writer is not registered");
    }

    static void writeJpeg(BufferedImage img, float quality, Path file) throws IOException {
        ImageWriter writer = jdkJpegWriter();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
