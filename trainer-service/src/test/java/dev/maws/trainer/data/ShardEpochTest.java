package dev.maws.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import dev.maws.proto.v1.LabeledImage;

/** How an epoch's shards are dealt to the processes of a job. */
class ShardEpochTest {
    /** Label 7 for a record of one synset, 9 for one of two. */
    private static final BatchPipeline.LabelMap LABEL = image -> image.getSynsetsCount() == 0 ? new int[0]
            : new int[] {5 + 2 * image.getSynsetsCount()};

    /** Records naming {@code sizes[s]} samples of shard s, shuffled, with a tombstone, a bad and an unlabelled record. */
    private static List<ConsumerRecord<byte[], byte[]>> records(int[] sizes) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int s = 0; s < sizes.length; s++) {
            for (int i = 0; i < sizes[s]; i++) {
                out.add(record(String.format("shards/web/shard-%05d.tar#k%d", s, i), true));
            }
        }
        java.util.Collections.shuffle(out, new Random(1));
        out.add(new ConsumerRecord<>("t", 0, 0, "gone".getBytes(), null));
        out.add(new ConsumerRecord<>("t", 0, 0, "bad".getBytes(), new byte[] {(byte) 0xff, 1}));
        out.add(record("shards/web/shard-00000.tar#unlabelled", false));
        return out;
    }

    private static ConsumerRecord<byte[], byte[]> record(String uri, boolean labelled) {
        LabeledImage.Builder b = LabeledImage.newBuilder().setImageUri(uri);
        if (labelled) {
            b.addSynsets("n02084071");
        }
        return new ConsumerRecord<>("t", 0, 0, uri.getBytes(), b.build().toByteArray());
    }

    /** The epoch dealt however unevenly, or null when it is read record by record. */
    private static ShardEpoch deal(List<ConsumerRecord<byte[], byte[]>> records, int rank, int world, int epoch)
            throws InterruptedException {
        return deal(records, rank, world, epoch, 1.0).epoch();
    }

    private static ShardEpoch.Dealt deal(List<ConsumerRecord<byte[], byte[]>> records, int rank, int world, int epoch,
            double maxDropped) throws InterruptedException {
        Iterator<ConsumerRecord<byte[], byte[]>> it = records.iterator();
        return ShardEpoch.deal(() -> it.hasNext() ? it.next() : null, records.size(), LABEL,
                new BatchPipeline.Partition(rank, world), 42, epoch, maxDropped);
    }

    @Test
    void eachProcessGetsWholeShardsNoneTwiceAndAllTakeAsMany() throws Exception {
        int[] sizes = new int[23];
        Random r = new Random(5);
        long all = 0;
        for (int s = 0; s < sizes.length; s++) {
            sizes[s] = 20 + r.nextInt(80);
            all += sizes[s];
        }
        List<ConsumerRecord<byte[], byte[]>> records = records(sizes);
        Set<String> seen = new HashSet<>();
        long dealt = 0;
        long least = Long.MAX_VALUE;
        long most = 0;
        for (int rank = 0; rank < 3; rank++) {
            ShardEpoch e = deal(records, rank, 3, 0);
            assertEquals(23, e.shards());
            assertEquals(1, e.deleted());
            assertEquals(1, e.badRecords());
            assertEquals(1, e.unlabelled());
            for (ShardEpoch.Shard s : e.mine()) {
                assertTrue(seen.add(s.key()), s.key() + " dealt twice");
                int number = Integer.parseInt(s.key().substring("shards/web/shard-".length(), "shards/web/shard-".length() + 5));
                assertEquals(sizes[number], s.labels().size(), "every sample of " + s.key());
                assertEquals(number, s.ordinal(), "its place among the shards sorted by key");
                s.labels().values().forEach(l -> assertEquals(7, l[0]));
            }
            dealt += e.dealt();
            least = Math.min(least, e.dealt());
            most = Math.max(most, e.dealt());
            assertEquals(deal(records, 0, 3, 0).limit(), e.limit(), "every process takes as many");
        }
        assertEquals(23, seen.size());
        assertEquals(all, dealt);
        assertEquals(least, deal(records, 2, 3, 0).limit(), "the fewest any process was dealt");
        int largest = Arrays.stream(sizes).max().orElseThrow();
        // the most loaded was the least loaded when it took its last shard: apart by at most one shard
        assertTrue(most - least <= largest, "dealt to the least loaded: " + least + ".." + most + ", shards up to " + largest);
    }

    @Test
    void theOrderIsTheSameForAnEpochAndSeedAndAnotherForAnotherEpoch() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = records(new int[] {5, 6, 7, 8, 9, 10, 11, 12});
        List<String> first = deal(records, 0, 1, 3).mine().stream().map(ShardEpoch.Shard::key).toList();
        java.util.Collections.reverse(records);
        assertEquals(first, deal(records, 0, 1, 3).mine().stream().map(ShardEpoch.Shard::key).toList(),
                "whatever order the records come in");
        assertNotEquals(first, deal(records, 0, 1, 4).mine().stream().map(ShardEpoch.Shard::key).toList());
    }

    @Test
    void fewerShardsThanProcessesOrImagesNotInShardsAreReadRecordByRecord() throws Exception {
        assertNull(deal(records(new int[] {5, 6}), 0, 3, 0));
        List<ConsumerRecord<byte[], byte[]>> mixed = records(new int[] {5, 6, 7});
        mixed.add(record("images/fmnist/train/0.png", true));
        assertNull(deal(mixed, 0, 1, 0));
    }

    @Test
    void shardsThatCannotBeDealtEvenlyEnoughAreReadRecordByRecordSayingWhy() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = records(new int[] {100, 10, 10});
        ShardEpoch.Dealt uneven = deal(records, 0, 2, 0, 0.1);
        assertNull(uneven.epoch());
        assertTrue(uneven.recordByRecord().contains("leave 80 of 120 samples over (more than "
                + "maws.trainer.data.max-shard-imbalance=0.10)"), uneven.recordByRecord());
        ShardEpoch a = deal(records, 0, 2, 0, 0.7).epoch(); // allowed to leave that much over, it deals them
        ShardEpoch b = deal(records, 1, 2, 0, 0.7).epoch();
        assertEquals(120, a.dealt() + b.dealt());
        assertEquals(20, a.limit(), "each takes as many as the process dealt the fewest");
        assertTrue(deal(records(new int[] {5, 6}), 0, 3, 0, 1.0).recordByRecord().contains("2 shards for 3 processes"));
    }

    @Test
    void aSampleNamedTwiceIsOneSampleAndOneDuplicate() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = records(new int[] {4, 4});
        String uri = "shards/web/shard-00001.tar#k2";
        records.add(new ConsumerRecord<>("t", 0, 0, uri.getBytes(), LabeledImage.newBuilder().setImageUri(uri)
                .addSynsets("n02084071").addSynsets("n02121808").build().toByteArray()));
        ShardEpoch e = deal(records, 0, 1, 0);
        assertEquals(8, e.dealt());
        assertEquals(1, e.duplicates());
        ShardEpoch.Shard one = e.mine().stream().filter(s -> s.key().equals("shards/web/shard-00001.tar")).findFirst()
                .orElseThrow();
        assertEquals(9, one.labels().get("k2")[0], "the later record's labels");
    }
}
