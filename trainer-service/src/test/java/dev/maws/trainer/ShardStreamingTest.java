package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.DevStackResource;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardWriter;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.trainer.data.Augmentation;
import dev.maws.trainer.data.Batch;
import dev.maws.trainer.data.BatchPipeline;
import dev.maws.trainer.data.DataException;
import dev.maws.trainer.data.DataPosition;
import dev.maws.trainer.data.ImageSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * An epoch of a corpus stored as shards, streamed: each process reads its own whole shards with one
 * streamed GET each, never an image by itself; the samples come shuffled across shards with the labels
 * of their records; and a run resumed from a position goes on with the same samples and pixels.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class ShardStreamingTest {
    private static final int[] SIZES = {30, 45, 25, 40, 35, 50};
    private static final int BATCH = 8;
    /** The label of a record is its sample's number over all shards: the synset n{number}. */
    private static final BatchPipeline.LabelMap LABEL = image -> image.getSynsetsCount() == 0 ? new int[0]
            : new int[] {Integer.parseInt(image.getSynsets(0).substring(1))};

    @Inject
    ObjectStore store;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private String topic;
    /** Sample (shard ordinal << 32 | place in its index) -> its number over all shards. */
    private final Map<Long, Integer> numbers = new HashMap<>();
    /** Sample -> the length of its PNG. */
    private final Map<Long, Integer> lengths = new HashMap<>();
    private String dataset;

    /** Six shards of a new dataset and a topic naming each of their samples, plus a missing, a deleted and an unlabelled one. */
    @BeforeEach
    void corpus() throws IOException {
        dataset = "streamed-" + UUID.randomUUID();
        FashionMnist train = FashionMnist.fixture("train");
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        int number = 0;
        for (int s = 0; s < SIZES.length; s++) {
            List<byte[]> pngs = new ArrayList<>();
            List<ShardWriter.Sample> samples = new ArrayList<>();
            for (int i = 0; i < SIZES[s]; i++) {
                pngs.add(train.png((number + i) % TrainingFixture.IMAGES));
                samples.add(new ShardWriter.Sample("k" + i, "png", pngs.get(i), "caption " + i));
            }
            String shardKey = ShardWriter.store(store, dataset, String.format("shard-%05d", s), samples);
            for (int i = 0; i < SIZES[s]; i++, number++) {
                numbers.put((long) s << 32 | i, number);
                lengths.put((long) s << 32 | i, pngs.get(i).length);
                records.add(record(new ShardMember(shardKey, "k" + i).uri(), number));
            }
        }
        records.add(record(new ShardMember(ShardMember.shardKey(dataset, "shard-00002"), "missing").uri(), number));
        records.add(new AbstractMap.SimpleEntry<>("deleted", null));
        records.add(Map.entry("unlabelled", LabeledImage.newBuilder()
                .setImageUri(new ShardMember(ShardMember.shardKey(dataset, "shard-00001"), "k0").uri() + "x").build().toByteArray()));
        java.util.Collections.shuffle(records, new java.util.Random(3));
        topic = "streamed-" + UUID.randomUUID();
        DevStackClients.createTopics(bootstrapServers, 3, topic);
        DevStackClients.produceAll(bootstrapServers, topic, records);
    }

    private static Map.Entry<String, byte[]> record(String uri, int number) {
        return Map.entry(uri, LabeledImage.newBuilder().setImageUri(uri).addSynsets(String.format("n%08d", number)).build()
                .toByteArray());
    }

    @Test
    void twoProcessesReadDisjointWholeShardsEachWithOneStreamedGet() throws Exception {
        ImageSource source0 = new ImageSource(store, 1 << 20, 1 << 20);
        ImageSource source1 = new ImageSource(store, 1 << 20, 1 << 20);
        Epoch rank0 = epochZero(new BatchPipeline.Partition(0, 2), source0, null, null);
        Epoch rank1 = epochZero(new BatchPipeline.Partition(1, 2), source1, rank0.batches().get(0).position(), null);

        Set<Long> shards0 = shardsOf(rank0);
        Set<Long> shards1 = shardsOf(rank1);
        assertTrue(java.util.Collections.disjoint(shards0, shards1), shards0 + " and " + shards1);
        assertEquals(SIZES.length, shards0.size() + shards1.size(), "every shard is read by one of them");
        Set<Long> seen = new HashSet<>();
        for (Epoch e : List.of(rank0, rank1)) {
            for (Batch b : e.batches()) {
                for (int i = 0; i < b.size(); i++) {
                    long sample = b.indices()[i];
                    assertTrue(seen.add(sample), "sample " + Long.toHexString(sample) + " taken twice");
                    assertEquals(numbers.get(sample), b.labels()[i][0], "the labels of the record naming the sample");
                }
            }
            DataPosition first = e.batches().get(0).position();
            assertEquals(1, first.counters().deleted(), "counted by every process when the epoch starts");
            assertEquals(1, first.counters().unlabelled());
            assertTrue(first.shard() >= 0, "a streamed epoch's position says which shard it reached");
        }
        long samples = Arrays.stream(SIZES).sum();
        long taken = rank0.batches().size() * BATCH + rank1.batches().size() * BATCH;
        long dealtAway = rank0.next().position().counters().dropped() + rank1.next().position().counters().dropped();
        assertTrue(taken + dealtAway + 1 + 2 * (BATCH - 1) >= samples && taken <= samples, taken + " taken, " + dealtAway
                + " dropped of " + samples);
        assertTrue(Math.abs(rank0.batches().size() - rank1.batches().size()) <= 1, "as many steps: " + rank0.batches().size()
                + " and " + rank1.batches().size());
        assertEquals(1, rank0.next().position().counters().badImages() + rank1.next().position().counters().badImages(),
                "the sample its shard's index lacks is one bad image");
        assertTrue(shardsOf(rank0.batches().get(0)).size() > 1, "a batch mixes shards");
        assertEquals(0, source0.imagesGot() + source1.imagesGot(), "no image read by itself");
        assertTrue(source0.streamsOpened() >= shards0.size() && source0.streamsOpened() <= 2L * shards0.size(),
                source0.streamsOpened() + " streams for " + shards0.size() + " shards in epoch 0 and what epoch 1 began");
    }

    @Test
    void aResumedRunGoesOnWithTheSameSamplesAndPixels() throws Exception {
        Epoch whole = epochZero(BatchPipeline.Partition.WHOLE, new ImageSource(store, 1 << 20, 1 << 20), null, null);
        DataPosition stop = whole.batches().get(5).position();
        ImageSource again = new ImageSource(store, 1 << 20, 1 << 20);
        Epoch resumed = epochZero(BatchPipeline.Partition.WHOLE, again, null, stop);
        assertEquals(whole.batches().size() - 6, resumed.batches().size());
        for (int t = 6; t < whole.batches().size(); t++) {
            Batch a = whole.batches().get(t);
            Batch b = resumed.batches().get(t - 6);
            assertArrayEquals(a.indices(), b.indices(), "step " + t);
            assertArrayEquals(a.pixels(), b.pixels(), "step " + t);
            assertArrayEquals(a.labels(), b.labels(), "step " + t);
            assertEquals(a.position(), b.position(), "step " + t);
        }
        assertTrue(again.imagesGot() > 0 && again.imagesGot() <= 64, "the shuffle buffer's samples read one by one: "
                + again.imagesGot());

        DataPosition elsewhere = new DataPosition(stop.epoch(), stop.begin(), stop.end(), stop.consumed(), stop.counters(),
                stop.records(), stop.shard(), stop.member() + 1);
        DataException e = assertThrows(DataException.class, () -> epochZero(BatchPipeline.Partition.WHOLE, again, null,
                elsewhere));
        assertTrue(e.getMessage().contains("not the stream the checkpoint was taken in"), e.getMessage());
    }

    @Test
    void oversizedImagesAndAShardWithoutItsIndexAreBadImagesAndTheRestIsReadOnce() throws Exception {
        store.delete(ShardMember.indexKey(ShardMember.shardKey(dataset, "shard-00003")));
        int maxBytes = 560;
        Set<Long> good = new HashSet<>();
        lengths.forEach((sample, length) -> {
            if (length <= maxBytes && sample >>> 32 != 3) {
                good.add(sample);
            }
        });
        assertTrue(good.size() > 100 && good.size() < 185, good.size() + " good samples: some too large, shard 3 unreadable");
        Epoch e = epochZero(BatchPipeline.Partition.WHOLE, new ImageSource(store, maxBytes, 1 << 20), null, null, 1.0);
        Set<Long> seen = new HashSet<>();
        for (Batch b : e.batches()) {
            for (int i = 0; i < b.size(); i++) {
                assertTrue(good.contains(b.indices()[i]), "sample " + Long.toHexString(b.indices()[i]) + " is too large or "
                        + "has no index");
                assertTrue(seen.add(b.indices()[i]), "sample " + Long.toHexString(b.indices()[i]) + " taken twice");
            }
        }
        assertEquals(good.size() / BATCH * BATCH, seen.size(), "every good sample, up to the last incomplete batch");
        assertTrue(e.next().position().counters().badImages() >= Arrays.stream(SIZES).sum() + 1 - good.size(),
                "counted as bad: " + e.next().position().counters());
    }

    private static Set<Long> shardsOf(Epoch e) {
        Set<Long> out = new HashSet<>();
        e.batches().forEach(b -> out.addAll(shardsOf(b)));
        return out;
    }

    private static Set<Long> shardsOf(Batch b) {
        Set<Long> out = new HashSet<>();
        for (int i = 0; i < b.size(); i++) {
            out.add(b.indices()[i] >>> 32);
        }
        return out;
    }

    /** Epoch 0's batches and the first of epoch 1. */
    private record Epoch(List<Batch> batches, Batch next) {}

    private Epoch epochZero(BatchPipeline.Partition partition, ImageSource source, DataPosition range, DataPosition resumeFrom)
            throws Exception {
        return epochZero(partition, source, range, resumeFrom, 0.05);
    }

    private Epoch epochZero(BatchPipeline.Partition partition, ImageSource source, DataPosition range, DataPosition resumeFrom,
            double maxBadFraction) throws Exception {
        BatchPipeline.Settings settings = new BatchPipeline.Settings(bootstrapServers, topic,
                "streamed-" + partition.rank() + "-" + UUID.randomUUID(), BATCH, 28, 1, new Augmentation(true, 0.3, 1.0, true),
                11, 2, 2, 64, maxBadFraction, 200, true, partition, true, 3, 1 << 20, 0.1);
        List<Batch> batches = new ArrayList<>();
        try (BatchPipeline pipeline = new BatchPipeline(settings, source, new ImageDecoder(1_000_000), LABEL, resumeFrom)) {
            if (range != null) {
                pipeline.startAt(range.begin(), range.end());
            }
            pipeline.begin();
            while (true) {
                Batch b = pipeline.next(() -> false);
                if (b.position().epoch() == 1) {
                    return new Epoch(batches, b);
                }
                batches.add(b);
            }
        }
    }
}
