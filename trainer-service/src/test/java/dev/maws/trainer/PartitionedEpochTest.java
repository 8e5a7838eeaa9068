package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
 * The input of a job of two processes against the input of the same job in one: on a topic with
 * tombstones, unparseable and unlabelled records, each step's images over both processes are the
 * images of the same step in one process, with the same pixels (the same augmentation), never one
 * image twice; every epoch covers the offsets of the first, whatever arrives meanwhile; and a process
 * resumed from its position goes on as if it had not stopped.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class PartitionedEpochTest {
    private static final int RECORDS = 400;
    private static final int BATCH = 16;
    private static final BatchPipeline.LabelMap LABEL = image -> image.getSynsetsCount() == 0 ? new int[0] : new int[] {0};

    @Inject
    ObjectStore store;

    @Inject
    VocabularyStore vocabularies;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void twoProcessesTakeTheImagesOfOneStepBetweenThemAndNothingTwice() throws Exception {
        TrainingFixture.write(store, vocabularies, bootstrapServers);
        String topic = "partitioned-" + UUID.randomUUID();
        DevStackClients.createTopics(bootstrapServers, 3, topic);
        DevStackClients.produceAll(bootstrapServers, topic, records(0, RECORDS));

        List<Batch> whole = epochZero(topic, BatchPipeline.Partition.WHOLE, BATCH, null, null);
        BatchPipeline.Partition zero = new BatchPipeline.Partition(0, 2);
        BatchPipeline.Partition one = new BatchPipeline.Partition(1, 2);
        List<Batch> rank0 = epochZero(topic, zero, BATCH / 2, null, null);
        DataPosition range = rank0.get(0).position();
        // records that arrive after the job began are in no epoch of it
        DevStackClients.produceAll(bootstrapServers, topic, records(RECORDS, 100));
        List<Batch> rank1 = epochZero(topic, one, BATCH / 2, range, null);

        assertTrue(whole.size() >= 10, "steps in epoch 0: " + whole.size());
        assertEquals(whole.size(), rank0.size());
        assertEquals(whole.size(), rank1.size());
        Set<Long> seen = new HashSet<>();
        for (int t = 0; t < whole.size(); t++) {
            Batch w = whole.get(t);
            Map<Long, float[]> pixels = new java.util.HashMap<>();
            for (Batch b : List.of(rank0.get(t), rank1.get(t))) {
                assertEquals(BATCH / 2, b.size());
                for (int i = 0; i < b.size(); i++) {
                    assertTrue(seen.add(b.indices()[i]), "record " + b.indices()[i] + " taken twice");
                    pixels.put(b.indices()[i], row(b, i));
                }
                assertEquals(range.begin(), b.position().begin(), "every process walks rank 0's offsets");
                assertEquals(range.end(), b.position().end());
            }
            assertEquals(BATCH, pixels.size());
            for (int i = 0; i < w.size(); i++) {
                float[] same = pixels.get(w.indices()[i]);
                assertTrue(same != null, "step " + t + ": record " + w.indices()[i] + " of the one-process step is in "
                        + "neither process's");
                assertArrayEquals(row(w, i), same, "step " + t + ": the pixels of record " + w.indices()[i]);
            }
        }

        // resumed after its step 4, rank 1 goes on with the same batches
        List<Batch> resumed = epochZero(topic, one, BATCH / 2, null, rank1.get(3).position());
        for (int t = 4; t < rank1.size(); t++) {
            assertArrayEquals(rank1.get(t).indices(), resumed.get(t - 4).indices(), "step " + t + " after the resume");
        }
    }

    /**
     * Epoch 0's batches, then checks that epoch 1 covers the same offsets.
     *
     * @param range where a fresh pipeline starts instead of its own snapshot (a process other than rank 0)
     * @param resumeFrom a process's position in a checkpoint
     */
    private List<Batch> epochZero(String topic, BatchPipeline.Partition partition, int batch, DataPosition range,
            DataPosition resumeFrom) throws Exception {
        BatchPipeline.Settings settings = new BatchPipeline.Settings(bootstrapServers, topic,
                "partitioned-" + partition.rank() + "-" + UUID.randomUUID(), batch, 28, 1, new Augmentation(true, 0.3, 1.0, true),
                3, 2, 2, 64, 0.05, 200, true, partition, true, 4, 1 << 20, 0.1);
        List<Batch> batches = new ArrayList<>();
        try (BatchPipeline pipeline = new BatchPipeline(settings, new ImageSource(store, 1 << 20, 1 << 20),
                new ImageDecoder(1_000_000), LABEL, resumeFrom)) {
            if (range != null) {
                pipeline.startAt(range.begin(), range.end());
            }
            DataPosition first = pipeline.start();
            pipeline.begin();
            while (true) {
                Batch b = pipeline.next(() -> false);
                if (b.position().epoch() == 1) {
                    if (partition.world() > 1) {
                        assertEquals(first.begin(), b.position().begin(), "epoch 1 covers epoch 0's offsets");
                        assertEquals(first.end(), b.position().end());
                    }
                    return batches;
                }
                batches.add(b);
            }
        }
    }

    /** Usable records, with a tombstone, an unparseable and an unlabelled one at seeded places among them. */
    private static List<Map.Entry<String, byte[]>> records(int from, int count) {
        Random r = new Random(from + 3);
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String id = "partitioned-" + i;
            LabeledImage.Builder image = LabeledImage.newBuilder().setImageId(id)
                    .setImageUri("images/fmnist/train/" + (i % TrainingFixture.IMAGES) + ".png");
            switch (r.nextInt(12)) {
                case 0 -> out.add(new java.util.AbstractMap.SimpleEntry<>(id, null));
                case 1 -> out.add(Map.entry(id, new byte[] {(byte) 0xff, 1, 2}));
                case 2 -> out.add(Map.entry(id, image.build().toByteArray()));
                default -> out.add(Map.entry(id, image.addSynsets("n00000001").build().toByteArray()));
            }
        }
        return out;
    }

    private static float[] row(Batch b, int i) {
        int per = b.pixels().length / b.size();
        return Arrays.copyOfRange(b.pixels(), i * per, (i + 1) * per);
    }
}
