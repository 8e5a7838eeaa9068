package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import jakarta.inject.Inject;

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
        DevStackClients.createTopics(bootstrapServers, 3, topic);
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
                Augmentation.NONE, 1, 2, 2, 16, 0.05, 200, false, BatchPipeline.Partition.WHOLE, true, 4, 1 << 20, 0.1);
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
     * pixel and label for label; records produced after the epoch began change nothing in it; the plan
     * counts the latest records, the counters the superseded ones and the deletions; a run resumed from
     * the middle or the end of epoch 0 goes on exactly as the uninterrupted one, into epoch 1.
     */
    @Test
    void anEpochHoldsEachImageOnceAsTheCompactedTopicWill() throws Exception {
        TrainingFixture.write(store, vocabularies, bootstrapServers);
        String repeated = "epoch-repeats-" + UUID.randomUUID();
        String compacted = "epoch-compacted-" + UUID.randomUUID();
        DevStackClients.createTopics(bootstrapServers, 3, repeated, compacted);
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
        long deleted = latest.size() - present;
        long superseded = ordered.size() - latest.size();
        assertTrue(superseded > 200 && deleted > 20, superseded + " superseded, " + deleted + " deleted");
        // produced once epoch 0 of the repeated topic has begun: new labels for some present images, which
        // must not take the place of the records epoch 0 holds, and are epoch 1's
        List<Map.Entry<String, byte[]>> late = latest.values().stream().filter(e -> e.getValue() != null).limit(10)
                .map(e -> Map.entry(e.getKey(), image(e.getKey(), 3, "late"))).toList();

        Epochs fromCompacted = run(compacted, null, null);
        Epochs fromRepeated = run(repeated, null, () -> DevStackClients.produceAll(bootstrapServers, repeated, late));
        assertEquals(present, fromCompacted.planned(), "the plan counts the records with a value");
        assertEquals(present, fromRepeated.planned(), "the plan counts the latest records with a value, whatever the budget");
        assertEquals(present / 32, fromRepeated.zero().size(), "every latest record with a value in a batch of epoch 0");
        assertEquals(fromCompacted.zero().size(), fromRepeated.zero().size(), "batches of epoch 0");
        for (int b = 0; b < fromCompacted.zero().size(); b++) {
            assertArrayEquals(fromCompacted.zero().get(b).pixels(), fromRepeated.zero().get(b).pixels(), "pixels of batch " + b);
            assertArrayEquals(fromCompacted.zero().get(b).labels(), fromRepeated.zero().get(b).labels(), "labels of batch " + b);
        }
        for (Batch b : fromRepeated.zero()) {
            assertEquals(superseded, b.position().counters().duplicates(), "counted when epoch 0 starts");
            assertEquals(deleted, b.position().counters().deleted(), "counted when epoch 0 starts");
        }
        for (Batch b : fromCompacted.zero()) {
            assertEquals(0, b.position().counters().duplicates());
            assertEquals(deleted, b.position().counters().deleted());
        }
        // progress is of the epoch's records, not of its offset range (which is 1.7 times as many here)
        DataPosition lastOfZero = fromRepeated.zero().get(fromRepeated.zero().size() - 1).position();
        assertEquals(present, lastOfZero.records());
        assertEquals(lastOfZero.consumed() / (double) present, lastOfZero.epochs(), 1e-12);
        assertTrue(lastOfZero.epochs() > 0.96, lastOfZero.toString());
        DataPosition.Counters atOne = fromRepeated.firstOfOne().position().counters();
        assertEquals(2 * superseded + late.size(), atOne.duplicates(), "epoch 1 also skips what the late records supersede");
        assertEquals(2 * deleted, atOne.deleted());

        // resumed from a checkpoint in the middle of epoch 0 and from its last batch: the same batches on
        int last = fromRepeated.zero().size() - 1;
        for (int from : new int[] {last / 2, last}) {
            Epochs resumed = run(repeated, fromRepeated.zero().get(from).position(), null);
            List<Batch> expected = new ArrayList<>(fromRepeated.zero().subList(from + 1, fromRepeated.zero().size()));
            expected.add(fromRepeated.firstOfOne());
            List<Batch> got = new ArrayList<>(resumed.zero());
            got.add(resumed.firstOfOne());
            assertEquals(expected.size(), got.size(), "batches after a resume from batch " + from);
            for (int b = 0; b < expected.size(); b++) {
                assertArrayEquals(expected.get(b).pixels(), got.get(b).pixels(), "resumed from " + from + ": pixels of " + b);
                assertArrayEquals(expected.get(b).labels(), got.get(b).labels(), "resumed from " + from + ": labels of " + b);
                assertEquals(expected.get(b).position(), got.get(b).position(), "resumed from " + from + ": position of " + b);
            }
        }

        // without the scan, every record with a value is planned for and read
        try (BatchPipeline pipeline = new BatchPipeline(settings(repeated, false), new ImageSource(store, 1 << 20, 1 << 20),
                new ImageDecoder(1_000_000), LABEL, null)) {
            assertEquals(ordered.stream().filter(e -> e.getValue() != null).count() + late.size(),
                    pipeline.countEpochRecords(1_000_000, () -> false));
        }
    }

    /** Which of an image's records a batch holds: its first (0), a later one (1), one produced during the epoch (2). */
    private static final BatchPipeline.LabelMap LABEL = image -> new int[] {
            switch (image.getSynsets(0)) {
                case "first" -> 0;
                case "again" -> 1;
                default -> 2;
            }};

    private static byte[] image(String id, int picture, String version) {
        return LabeledImage.newBuilder().setImageId(id).addSynsets(version)
                .setImageUri("images/fmnist/train/" + Math.floorMod(picture, TrainingFixture.IMAGES) + ".png").build().toByteArray();
    }

    private BatchPipeline.Settings settings(String topic, boolean skipSuperseded) {
        return new BatchPipeline.Settings(bootstrapServers, topic, "epoch-records-" + topic, 32, 28, 1,
                Augmentation.NONE, 3, 2, 2, 64, 0.05, 200, skipSuperseded, BatchPipeline.Partition.WHOLE, true, 4, 1 << 20, 0.1);
    }

    /** The plan's count of epoch 0's records (-1 when resumed), its batches (from where the run resumes) and epoch 1's first. */
    private record Epochs(long planned, List<Batch> zero, Batch firstOfOne) {}

    /** @param begun run once epoch 0's offsets are taken, before anything is read */
    private Epochs run(String topic, DataPosition resumeFrom, Runnable begun) throws Exception {
        List<Batch> batches = new ArrayList<>();
        try (BatchPipeline pipeline = new BatchPipeline(settings(topic, true), new ImageSource(store, 1 << 20, 1 << 20),
                new ImageDecoder(1_000_000), LABEL, resumeFrom)) {
            if (begun != null) {
                begun.run();
            }
            // a resumed run has its plan: its data thread scans on its own
            long planned = resumeFrom == null ? pipeline.countEpochRecords(64, () -> false) : -1;
            pipeline.begin();
            while (true) {
                Batch b = pipeline.next(() -> false);
                if (b.position().epoch() == 1) {
                    return new Epochs(planned, batches, b);
                }
                batches.add(b);
            }
        }
    }
}
