package dev.maws.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * Step 1: Fashion-MNIST into S3. Training images become {@code images/fashion-mnist/train/NNNNN.png}
 * (what captions point at); the test split becomes the evaluation dataset
 * {@code datasets/fashion-mnist/test}, and the training images with their true labels the probes'
 * training split {@code datasets/fashion-mnist/train}. The full set comes from the Debian package
 * when installed, else the committed fixture.
 */
final class FashionImport {
    static final String DATASET = "fashion-mnist";

    /** What was imported. */
    record Imported(String source, FashionMnist train, FashionMnist test, int trainImages, int testImages,
            List<String> trainKeys) {}

    private FashionImport() {}

    static Imported run(ObjectStore store, Preset preset, Progress progress) throws Exception {
        boolean full = FashionMnist.isInstalled();
        FashionMnist train = full ? FashionMnist.installed("train") : FashionMnist.fixture("train");
        FashionMnist test = full ? FashionMnist.installed("t10k") : FashionMnist.fixture("t10k");
        String source = full ? "Debian package dataset-fashion-mnist (" + FashionMnist.DEBIAN_DIR + ")"
                : "committed fixture (devstack/src/main/resources/fashion-mnist; install dataset-fashion-mnist for the full set)";
        int nTrain = preset.trainImages() == 0 ? train.size() : Math.min(preset.trainImages(), train.size());
        int nTest = preset.testImages() == 0 ? test.size() : Math.min(preset.testImages(), test.size());
        Progress.Bar bar = progress.bar("import", nTrain + nTest);
        List<String> trainKeys = new ArrayList<>(nTrain);
        List<Dataset.Example> trainExamples = new ArrayList<>(nTrain);
        List<Dataset.Example> testExamples = new ArrayList<>(nTest);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < nTrain; i++) {
                String key = String.format("images/%s/train/%05d.png", DATASET, i);
                trainKeys.add(key);
                trainExamples.add(new Dataset.Example(key, train.label(i)));
                int index = i;
                puts.add(pool.submit(() -> {
                    store.put(key, train.png(index), "image/png");
                    bar.step(1);
                }));
            }
            for (int i = 0; i < nTest; i++) {
                String key = String.format("%s%05d.png", Dataset.prefix(DATASET, "test"), i);
                testExamples.add(new Dataset.Example(key, test.label(i)));
                int index = i;
                puts.add(pool.submit(() -> {
                    store.put(key, test.png(index), "image/png");
                    bar.step(1);
                }));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        DatasetStore datasets = new DatasetStore(store);
        datasets.put(new Dataset(DATASET, "train", FashionMnist.CLASS_NAMES, trainExamples));
        datasets.put(new Dataset(DATASET, "test", FashionMnist.CLASS_NAMES, testExamples));
        bar.done(nTrain + " training and " + nTest + " test images from the " + (full ? "full set" : "fixture"));
        return new Imported(source, train, test, nTrain, nTest, trainKeys);
    }
}
