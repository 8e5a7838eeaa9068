package dev.maws.trainer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.GetJobRequest;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.proto.v1.ModelConfig;
import dev.maws.proto.v1.TrainerServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The training set of the trainer tests: Fashion-MNIST fixture images in S3 and one LabeledImage
 * per image (its class synset) on the labeled-images topic, plus records the data path must skip:
 * a missing image, a corrupt image, bytes that are not a LabeledImage, and a synset outside the
 * vocabulary. Written once per test JVM; keys are fixed, so a rerun replaces rather than adds images.
 */
final class TrainingFixture {
    static final int IMAGES = 192;
    static final String VOCABULARY = "fmnist-test-v1";
    private static final String LAST_KEY = "out-of-vocabulary";
    /** Small enough for a CPU test: 16 patches of 7x7, two blocks of width 32. */
    static final ModelConfig MODEL = ModelConfig.newBuilder().setImageSize(28).setPatchSize(7).setChannels(1).setWidth(32)
            .setDepth(2).setHeads(2).setMlpRatio(2).setDecoderWidth(16).setDecoderDepth(1).setDecoderHeads(2)
            .setPooling("mean").build();

    /** The devstacks the fixture went to, by Kafka address and S3 client (an IT starts a devstack of its own). */
    private static final java.util.Set<String> WRITTEN = new java.util.HashSet<>();

    private TrainingFixture() {}

    /** The devstack keeps its data across runs: the fixture's last record there means all of it is. */
    private static boolean alreadyOnTheTopic(String bootstrapServers) {
        return !DevStackClients.consume(bootstrapServers, "labeled-images", r -> r.key().equals(LAST_KEY), 1,
                java.time.Duration.ofSeconds(3)).isEmpty();
    }

    static synchronized void write(ObjectStore store, VocabularyStore vocabularies, String bootstrapServers) {
        String devstack = bootstrapServers + " " + System.identityHashCode(store);
        if (WRITTEN.contains(devstack) || alreadyOnTheTopic(bootstrapServers)) {
            WRITTEN.add(devstack);
            return;
        }
        FashionMnist train = FashionMnist.fixture("train");
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            String id = "fmnist-train-" + i;
            String uri = "images/fmnist/train/" + i + ".png";
            store.put(uri, train.png(i), "image/png");
            records.add(Map.entry(id, LabeledImage.newBuilder().setImageId(id).setImageUri(uri)
                    .addSynsets(FashionMnist.CLASS_SYNSETS.get(train.label(i)))
                    .addHashtags(FashionMnist.CLASS_HASHTAGS.get(train.label(i))).build().toByteArray()));
        }
        store.put("images/fmnist/corrupt.png", "not a png at all".getBytes(), "image/png");
        records.add(Map.entry("bad-missing", LabeledImage.newBuilder().setImageId("bad-missing")
                .setImageUri("images/fmnist/no-such-image.png").addSynsets("n03595614").build().toByteArray()));
        records.add(Map.entry("bad-corrupt", LabeledImage.newBuilder().setImageId("bad-corrupt")
                .setImageUri("images/fmnist/corrupt.png").addSynsets("n03595614").build().toByteArray()));
        records.add(Map.entry("bad-record", new byte[] {(byte) 0xff, 0x01, 0x02}));
        records.add(Map.entry(LAST_KEY, LabeledImage.newBuilder().setImageId(LAST_KEY)
                .setImageUri("images/fmnist/train/0.png").addSynsets("n02084071").build().toByteArray())); // dog
        List<Vocabulary.Entry> entries = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            entries.add(new Vocabulary.Entry(FashionMnist.CLASS_SYNSETS.get(c), List.of(FashionMnist.CLASS_HASHTAGS.get(c)),
                    IMAGES / 10));
        }
        vocabularies.put(new Vocabulary(VOCABULARY, "2026-11-26T00:00:00Z", "fixture", entries.size(), entries));
        // images and vocabulary first, the records last, LAST_KEY at their end
        DevStackClients.produceAll(bootstrapServers, "labeled-images", records);

        WRITTEN.add(devstack);
    }

    /** The loss of every step from the job's metrics lines, in step order. */
    static List<Double> losses(ObjectStore store, String job) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String key : store.list("checkpoints/" + job + "/metrics/")) {
            for (String line : new String(store.get(key), StandardCharsets.UTF_8).split("\n")) {
                com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
                org.junit.jupiter.api.Assertions.assertEquals(losses.size() + 1, n.get("step").asLong(),
                        "steps in order without gaps or repeats");
                losses.add(n.get("loss").asDouble());
            }
        }
        return losses;
    }

    /**
     * Polls GetJob until the job is neither queued nor running (5 minutes at most). UNAVAILABLE is
     * waited out: the kill test asks while the trainer restarts.
     */
    static Job await(TrainerServiceGrpc.TrainerServiceBlockingStub trainer, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            try {
                Job job = trainer.getJob(GetJobRequest.newBuilder().setId(id).build());
                if (job.getState() != JobState.JOB_STATE_QUEUED && job.getState() != JobState.JOB_STATE_RUNNING) {
                    return job;
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not end in 5 minutes");
    }
}
