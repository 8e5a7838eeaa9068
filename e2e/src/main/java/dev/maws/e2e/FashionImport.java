package dev.maws.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.devstack.fashion.FashionMnistSource;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardWriter;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * Step 1: Fashion-MNIST into S3, stored as a user's corpus is: WebDataset shards with their indexes,
 * {@code shards/fashion-mnist/train-NNNNN.tar} and {@code test-NNNNN.tar}, no object an image. The
 * training images' member references ({@code ...tar#NNNNN}) are what captions point at; the test split
 * becomes the evaluation dataset {@code datasets/fashion-mnist/test}, and the training images with their
 * true labels the probes' training split {@code datasets/fashion-mnist/train}. The full set comes from {@link FashionMnistSource}
 * (a verified download cached in {@code MAWS_HOME/downloads}, else the Debian package); without it, the
 * committed fixture, and the run says so loudly on the console and in the report.
 */
final class FashionImport {
    static final String DATASET = "fashion-mnist";
    /** Samples a shard: 60,000 training images are 6 shards of ~12 MB. */
    static final int SHARD_SAMPLES = 10_000;

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
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            List<Future<List<String>>> train0 = storeShards(pool, store, "train", train, nTrain, bar);
            List<Future<List<String>>> test0 = storeShards(pool, store, "test", test, nTest, bar);
            for (Future<List<String>> f : train0) {
                trainKeys.addAll(f.get());
            }
            for (int i = 0; i < nTrain; i++) {
                trainExamples.add(new Dataset.Example(trainKeys.get(i), train.label(i)));
            }
            int i = 0;
            for (Future<List<String>> f : test0) {
                for (String key : f.get()) {
                    testExamples.add(new Dataset.Example(key, test.label(i++)));
                }
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

    /**
     * The first {@code n} images of a split as WebDataset shards of {@link #SHARD_SAMPLES} ({@code KEY.png}
     * and {@code KEY.txt}, the class name: the captions that are labelled are generated later), each stored
     * whole with its index ({@link ShardWriter}); each future gives its shard's member references in order.
     */
    private static List<Future<List<String>>> storeShards(ExecutorService pool, ObjectStore store, String split,
            FashionMnist images, int n, Progress.Bar bar) {
        List<Future<List<String>>> shards = new ArrayList<>();
        for (int from = 0; from < n; from += SHARD_SAMPLES) {
            int start = from;
            int end = Math.min(n, from + SHARD_SAMPLES);
            String name = String.format("%s-%05d", split, from / SHARD_SAMPLES);
            shards.add(pool.submit(() -> {
                List<ShardWriter.Sample> samples = new ArrayList<>(end - start);
                for (int i = start; i < end; i++) {
                    samples.add(new ShardWriter.Sample(String.format("%05d", i), "png", images.png(i),
                            FashionMnist.CLASS_NAMES.get(images.label(i))));
                }
                String shardKey = ShardWriter.store(store, DATASET, name, samples);
                bar.step(samples.size());
                return samples.stream().map(sample -> new ShardMember(shardKey, sample.key()).uri()).toList();
            }));
        }
        return shards;
    }
}
