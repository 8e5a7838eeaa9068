package dev.maws.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * A user's labelled evaluation set ({@code ./maws run --eval PATH}) into S3 as the dataset {@link #DATASET}:
 * an ImageFolder directory, {@code PATH/train/CLASS/*} for the probes and {@code PATH/test/CLASS/*} (or
 * {@code val/}) to score on. Class folder names are the class names zero-shot resolves to synsets.
 * Images are stored as {@code datasets/eval/{split}/{class index}/{n}.{ext}} (a user's file names may hold
 * characters an object key refuses); files that are not images are counted and skipped.
 */
final class ImageFolderImport {
    static final String DATASET = "eval";
    /** Largest image file imported; a larger one is skipped and counted. */
    static final long MAX_IMAGE_BYTES = 32L << 20;
    /** Most images a split may hold: the evaluation reads them all. */
    static final int MAX_IMAGES_PER_SPLIT = 200_000;
    private static final List<String> IMAGE_EXTENSIONS = List.of("jpg", "jpeg", "png", "webp");

    /** What was imported: class names, images per split, and files skipped by reason. */
    record Imported(Path root, List<String> classes, int trainImages, int testImages, String testSplit,
            Map<String, Integer> skipped) {}

    private ImageFolderImport() {}

    static Imported run(ObjectStore store, Path root, Progress progress) throws IOException, InterruptedException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("--eval " + root + " is not a directory; expected train/CLASS/* and test/CLASS/*");
        }
        String testSplit = Files.isDirectory(root.resolve("test")) ? "test" : "val";
        if (!Files.isDirectory(root.resolve("train")) || !Files.isDirectory(root.resolve(testSplit))) {
            throw new IllegalArgumentException("--eval " + root + " needs a train/ and a test/ (or val/) directory, "
                    + "each with one directory of images per class");
        }
        List<String> classes = classes(root.resolve("train"));
        List<String> testClasses = classes(root.resolve(testSplit));
        if (classes.size() < 2) {
            throw new IllegalArgumentException("--eval " + root + "/train has " + classes.size() + " class directories; "
                    + "an evaluation needs at least two");
        }
        if (!classes.containsAll(testClasses)) {
            List<String> extra = new ArrayList<>(testClasses);
            extra.removeAll(classes);
            throw new IllegalArgumentException("--eval " + root + "/" + testSplit + " has classes that train/ lacks: " + extra);
        }
        Map<String, Integer> skipped = new TreeMap<>();
        Dataset train = split(store, root.resolve("train"), "train", classes, skipped, progress);
        Dataset test = split(store, root.resolve(testSplit), "test", classes, skipped, progress);
        DatasetStore datasets = new DatasetStore(store);
        datasets.put(train);
        datasets.put(test);
        return new Imported(root, classes, train.examples().size(), test.examples().size(), testSplit, skipped);
    }

    private static List<String> classes(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .sorted().toList();
        }
    }

    private static Dataset split(ObjectStore store, Path dir, String split, List<String> classes,
            Map<String, Integer> skipped, Progress progress) throws IOException, InterruptedException {
        Map<Path, Integer> files = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            Path classDir = dir.resolve(classes.get(c));
            if (!Files.isDirectory(classDir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(classDir)) {
                for (Path f : s.sorted().toList()) {
                    if (!Files.isRegularFile(f) || !IMAGE_EXTENSIONS.contains(extension(f))) {
                        skipped.merge(split + ": not an image file (" + String.join(", ", IMAGE_EXTENSIONS) + ")", 1, Integer::sum);
                    } else if (Files.size(f) > MAX_IMAGE_BYTES) {
                        skipped.merge(split + ": larger than " + MAX_IMAGE_BYTES + " bytes", 1, Integer::sum);
                    } else {
                        files.put(f, c);
                    }
                }
            }
            if (files.size() > MAX_IMAGES_PER_SPLIT) {
                throw new IllegalArgumentException(dir + " holds more than " + MAX_IMAGES_PER_SPLIT + " images");
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no images (" + String.join(", ", IMAGE_EXTENSIONS) + ")");
        }
        Progress.Bar bar = progress.bar("eval " + split, files.size());
        List<Dataset.Example> examples = new ArrayList<>(files.size());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            int n = 0;
            for (Map.Entry<Path, Integer> f : files.entrySet()) {
                String ext = extension(f.getKey());
                String key = String.format("%s%05d/%07d.%s", Dataset.prefix(DATASET, split), f.getValue(), n++, ext);
                examples.add(new Dataset.Example(key, f.getValue()));
                puts.add(pool.submit(() -> {
                    store.put(key, Files.readAllBytes(f.getKey()), ext.equals("png") ? "image/png"
                            : ext.equals("webp") ? "image/webp" : "image/jpeg");
                    bar.step(1);
                    return null;
                }));
            }
            for (Future<?> put : puts) {
                put.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("importing " + dir + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        bar.done(examples.size() + " images in " + classes.size() + " classes");
        return new Dataset(DATASET, split, classes, examples);
    }

    private static String extension(Path f) {
        String name = f.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
