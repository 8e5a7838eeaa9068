package dev.maws.trainer;

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
 * not count towards the step plan and are skipped as deleted, not as bad records.
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

        BatchPipeline.Settings settings = new BatchPipeline.Settings(bootstrapServers, topic, "epoch-records-test", 64, 28, 1,
                Augmentation.NONE, 1, 2, 2, 16, 0.05, 200);
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
}
