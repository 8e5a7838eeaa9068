package dev.maws.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.devstack.fashion.FashionMnistSource;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * Step 1: Fashion-MNIST into S3. Training images become {@code images/fashion-mnist/train/NNNNN.png}
 * (what captions point at); the test split becomes the evaluation dataset
 * {@code datasets/fashion-mnist/test}, and the training images with their true labels the probes'
 * training split {@code datasets/fashion-mnist/train}. The full set comes from {@link FashionMnistSource}
 * (a verified download cached in {@code MAWS_HOME/downloads}, else the Debian package); without it, the
 * committed fixture, and the run says so loudly on the console and in the report.
 */
final class FashionImport {
    static final String DATASET = "fashion-mnist";

    /** What was imported. */
    record Imported(String source, FashionMnist train, FashionMnist test, int trainImages, int testImages,
            List<String> trainKeys, String warning) {}

    /** What a run on the fixture tells the user, on the console and in report.json. */
    static final String FIXTURE_WARNING = "THE FULL FASHION-MNIST WAS NOT FOUND: this run used the 500/100-image test fixture, "
            + "and its numbers mean nothing. Give this machine network access to " + FashionMnistSource.CANONICAL
            + " (downloaded once into MAWS_HOME/downloads), or install the Debian package dataset-fashion-mnist, and run again.";

    private FashionImport() {}

    static Imported run(ObjectStore store, Preset preset, Path state, Progress progress) throws Exception {
        FashionMnistSource.Found found = preset.fixtureOnly()
                ? new FashionMnistSource.Found(null, "the " + preset.name() + " preset uses the fixture")
                : new FashionMnistSource(state.resolve("downloads").resolve(DATASET)).find(progress::say);
        boolean full = found.dir() != null;
        FashionMnist train = full ? FashionMnist.fromDir(found.dir(), "train") : FashionMnist.fixture("train");
        FashionMnist test = full ? FashionMnist.fromDir(found.dir(), "t10k") : FashionMnist.fixture("t10k");
        String source = full ? found.source()
                : "committed fixture (devstack/src/main/resources/fashion-mnist): " + found.source();
        String warning = full || preset.fixtureOnly() ? null : FIXTURE_WARNING;
        if (warning != null) {
            progress.say("\n" + "!".repeat(100) + "\n" + warning + "\n" + "!".repeat(100));
        }
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
        return new Imported(source, train, test, nTrain, nTest, trainKeys, warning);
    }
}
