package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.DevStackResource;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.trainer.data.Augmentation;
import dev.maws.trainer.data.Batch;
import dev.maws.trainer.data.BatchPipeline;
import dev.maws.trainer.data.DataPosition;
import dev.maws.trainer.data.ImageSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What an epoch holds when the topic has records that are not there: tombstones (deleted images) do
 * not count towards the step plan and are skipped as deleted, not as bad records; and when an image's
 * record is there more than once, the epoch holds only its latest.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class EpochRecordsTest {
    private static final int RECORDS = 3000;

    @Inject
    ObjectStore store;

    @Inject
    VocabularyStore vocabularies;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void tombstonesAreNeitherPlannedForNorBadRecords() throws Exception {
        TrainingFixture.write(store, vocabularies, bootstrapServers);
        String topic = "epoch-records-" + UUID.randomUUID();
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        // a quarter of the records, at seeded places, are tombstones of images deleted earlier
        Random r = new Random(11);
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        int present = 0;
        for (int i = 0; i < RECORDS; i++) {
            String id = "epoch-records-" + i;
            if (r.nextInt(4) == 0) {
                records.add(new java.util.AbstractMap.SimpleEntry<>(id, null));
            } else {
                present++;
                records.add(Map.entry(id, LabeledImage.newBuilder().setImageId(id)
                        .setImageUri("images/fmnist/train/" + (i % TrainingFixture.IMAGES) + ".png").build().toByteArray()));
            }
        }
        DevStackClients.produceAll(bootstrapServers, topic, records);
        int tombstones = RECORDS - present;

        // the sampled count of the plan is what a pipeline without the key scan does
        BatchPipeline.Settings settings = new BatchPipeline.Settings(bootstrapServers, topic, "epoch-records-test", 64, 28, 1,
                Augmentation.NONE, 1, 2, 2, 16, 0.05, 200, false);
        try (BatchPipeline pipeline = new BatchPipeline(settings, new ImageSource(store, 1 << 20, 1 << 20),
                new ImageDecoder(1_000_000), null, null)) {
            assertEquals(RECORDS, pipeline.start().span(), "the offset range holds the tombstones too");
            assertEquals(present, pipeline.countEpochRecords(1_000_000, () -> false), "read whole: exact");
            assertEquals(-1, pipeline.countEpochRecords(1_000_000, () -> true), "a cancelled job stops counting");
            long estimated = pipeline.countEpochRecords(600, () -> false); // 64 windows of 9 offsets
            assertTrue(Math.abs(estimated - present) <= 0.05 * present,
                    "estimated from 576 of 3,000 offsets: " + estimated + " for " + present);

            pipeline.begin();
            DataPosition.Counters atEpochEnd = null;
            while (atEpochEnd == null) {
                Batch b = pipeline.next(() -> false);
                if (b.position().epoch() == 1) {
                    atEpochEnd = b.position().counters();
                }
            }
            assertTrue(atEpochEnd.deleted() >= tombstones, "every tombstone of epoch 0 counted as deleted: " + atEpochEnd);
            assertEquals(0, atEpochEnd.badRecords(), "a tombstone is not a bad record: " + atEpochEnd);
            assertEquals(0, atEpochEnd.badImages(), atEpochEnd.toString());
        }
    }

    /**
     * A topic whose head repeats images (a label-service restart, a re-labelling; a tombstone deleting
     * one) against the topic that compaction would leave of it: the same records in the order of their
     * latest occurrence. With superseded records skipped, epoch 0 of both is the same batches, pixel for
     * pixel and label for label; the plan counts the latest records, the counters the superseded ones.
     */
    @Test
    void anEpochHoldsEachImageOnceAsTheCompactedTopicWill() throws Exception {
        TrainingFixture.write(store, vocabularies, bootstrapServers);
        String repeated = "epoch-repeats-" + UUID.randomUUID();
        String compacted = "epoch-compacted-" + UUID.randomUUID();
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(repeated, 3, (short) 1), new NewTopic(compacted, 3, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        // each image's records in its own order: first labelling; for about a third, one or two re-labellings
        // (other labels, another picture); for one in twenty a tombstone last. Images interleaved at random.
        Random r = new Random(5);
        int images = 900;
        List<java.util.ArrayDeque<Map.Entry<String, byte[]>>> perImage = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            String id = "repeat-" + i;
            java.util.ArrayDeque<Map.Entry<String, byte[]>> own = new java.util.ArrayDeque<>();
            own.add(Map.entry(id, image(id, i, "first")));
            int later = r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 0;
            for (int k = 1; k <= later; k++) {
                own.add(Map.entry(id, image(id, i + 7 * k, "again")));
            }
            if (r.nextInt(20) == 0) {
                own.add(new java.util.AbstractMap.SimpleEntry<>(id, null));
            }
            perImage.add(own);
        }
        List<Map.Entry<String, byte[]>> ordered = new ArrayList<>();
        while (!perImage.isEmpty()) {
            int i = r.nextInt(perImage.size());
            ordered.add(perImage.get(i).poll());
            if (perImage.get(i).isEmpty()) {
                perImage.set(i, perImage.get(perImage.size() - 1));
                perImage.remove(perImage.size() - 1);
            }
        }
        java.util.LinkedHashMap<String, Map.Entry<String, byte[]>> latest = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : ordered) {
            latest.remove(e.getKey()); // put again: the order of latest occurrences, as compaction leaves it
            latest.put(e.getKey(), e);
        }
        DevStackClients.produceAll(bootstrapServers, repeated, ordered);
        DevStackClients.produceAll(bootstrapServers, compacted, new ArrayList<>(latest.values()));
        long present = latest.values().stream().filter(e -> e.getValue() != null).count();
        long superseded = ordered.size() - latest.size();
        assertTrue(superseded > 200 && latest.size() - present > 20, superseded + " superseded, " + (latest.size() - present)
                + " deleted");

        List<Batch> fromRepeated = epochZero(repeated, true, present, superseded);
        List<Batch> fromCompacted = epochZero(compacted, true, present, 0);
        assertEquals(fromCompacted.size(), fromRepeated.size(), "batches of epoch 0");
        for (int b = 0; b < fromCompacted.size(); b++) {
            assertArrayEquals(fromCompacted.get(b).pixels(), fromRepeated.get(b).pixels(), "pixels of batch " + b);
            assertArrayEquals(fromCompacted.get(b).labels(), fromRepeated.get(b).labels(), "labels of batch " + b);
        }
        // without the scan, every record with a value is planned for and read
        BatchPipeline.Settings all = settings(repeated, false);
        try (BatchPipeline pipeline = new BatchPipeline(all, new ImageSource(store, 1 << 20, 1 << 20), new ImageDecoder(1_000_000),
                LABEL, null)) {
            assertEquals(ordered.stream().filter(e -> e.getValue() != null).count(),
                    pipeline.countEpochRecords(1_000_000, () -> false));
        }
    }

    /** Which of an image's records a batch holds: its first (0) or a later one (1). */
    private static final BatchPipeline.LabelMap LABEL = image -> new int[] {"first".equals(image.getSynsets(0)) ? 0 : 1};

    private static byte[] image(String id, int picture, String version) {
        return LabeledImage.newBuilder().setImageId(id).addSynsets(version)
                .setImageUri("images/fmnist/train/" + Math.floorMod(picture, TrainingFixture.IMAGES) + ".png").build().toByteArray();
    }

    private BatchPipeline.Settings settings(String topic, boolean skipSuperseded) {
        return new BatchPipeline.Settings(bootstrapServers, topic, "epoch-records-" + topic, 32, 28, 1,
                Augmentation.NONE, 3, 2, 2, 64, 0.05, 200, skipSuperseded);
    }

    private List<Batch> epochZero(String topic, boolean skipSuperseded, long records, long duplicates) throws Exception {
        List<Batch> batches = new ArrayList<>();
        try (BatchPipeline pipeline = new BatchPipeline(settings(topic, skipSuperseded), new ImageSource(store, 1 << 20, 1 << 20),
                new ImageDecoder(1_000_000), LABEL, null)) {
            assertEquals(records, pipeline.countEpochRecords(64, () -> false), topic + ": the latest records, counted whole");
            pipeline.begin();
            while (true) {
                Batch b = pipeline.next(() -> false);
                if (b.position().epoch() == 1) {
                    break;
                }
                assertEquals(duplicates, b.position().counters().duplicates(), topic);
                batches.add(b);
            }
        }
        assertEquals(records / 32, batches.size(), topic + ": every latest record with a value in a batch of epoch 0");
        return batches;
    }
}
