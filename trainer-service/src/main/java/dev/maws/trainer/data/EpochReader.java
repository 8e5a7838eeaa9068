package dev.maws.trainer.data;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one epoch of the training topic: every partition from its begin to its end offset, merged
 * round-robin one record at a time. The merge waits for each unfinished partition, so the order
 * depends only on the topic's content, never on fetch timing: a resumed run sees the same stream.
 *
 * <p>A plain {@link KafkaConsumer} with {@code assign}/{@code seek}, not a messaging channel: an
 * epoch is a bounded, replayable range of offsets, not a subscription.
 */
final class EpochReader implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int PAUSE_AT = 5000;

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> buffered = new HashMap<>();
    private Map<Integer, Long> end = Map.of();
    private int next;

    EpochReader(String bootstrapServers, String topic, String groupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId);
        // an epoch's recorded offsets that are gone (topic recreated, records deleted) are an error, not a
        // silent jump to the end of the partition (Kafka's default, "latest")
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            partitions.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " has no partitions");
            }
            consumer.assign(partitions);
        } catch (RuntimeException e) { // Kafka unreachable, no such topic: the job fails, the consumer must not linger
            consumer.close(Duration.ofSeconds(5));
            throw e;
        }
    }

    /** The offsets an epoch covers: [begin, end) per partition. */
    record Offsets(Map<Integer, Long> begin, Map<Integer, Long> end) {}

    /** The offsets an epoch starting now covers: beginning to end of every partition. */
    Offsets snapshot() {
        Map<Integer, Long> b = new HashMap<>();
        Map<Integer, Long> e = new HashMap<>();
        consumer.beginningOffsets(partitions).forEach((tp, o) -> b.put(tp.partition(), o));
        consumer.endOffsets(partitions).forEach((tp, o) -> e.put(tp.partition(), o));
        return new Offsets(b, e);
    }

    /** Positions the reader at the start of an epoch with these bounds. */
    void start(Map<Integer, Long> begin, Map<Integer, Long> end) {
        this.end = Map.copyOf(end);
        buffered.clear();
        next = 0;
        for (TopicPartition tp : partitions) {
            buffered.put(tp, new ArrayDeque<>());
            consumer.seek(tp, begin.getOrDefault(tp.partition(), 0L));
        }
    }

    /** The next record of the epoch in merge order, or null when the epoch is exhausted. */
    ConsumerRecord<String, byte[]> next() throws InterruptedException {
        for (int tried = 0; tried < partitions.size(); tried++) {
            TopicPartition tp = partitions.get(next);
            next = (next + 1) % partitions.size();
            ConsumerRecord<String, byte[]> r = take(tp);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** The next record of one partition within the epoch, polling as needed; null when it is done. */
    private ConsumerRecord<String, byte[]> take(TopicPartition tp) throws InterruptedException {
        long limit = end.getOrDefault(tp.partition(), 0L);
        ArrayDeque<ConsumerRecord<String, byte[]>> queue = buffered.get(tp);
        while (true) {
            while (!queue.isEmpty()) {
                ConsumerRecord<String, byte[]> r = queue.poll();
                if (r.offset() < limit) {
                    return r;
                }
                queue.clear(); // past the epoch's end
            }
            if (consumer.position(tp) >= limit) {
                return null;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            // bound memory: partitions far ahead of the merge wait until it catches up
            List<TopicPartition> full = new ArrayList<>();
            for (TopicPartition other : partitions) {
                if (buffered.get(other).size() >= PAUSE_AT && !other.equals(tp)) {
                    full.add(other);
                }
            }
            consumer.resume(partitions);
            consumer.pause(full);
            org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> polled;
            try {
                polled = consumer.poll(POLL);
            } catch (org.apache.kafka.clients.consumer.InvalidOffsetException e) {
                throw new IllegalStateException("the epoch's records from " + e.partitions() + " are no longer on the topic"
                        + " (recreated, or its records deleted); this run cannot go on from its recorded position", e);
            }
            for (ConsumerRecord<String, byte[]> r : polled) {
                buffered.get(new TopicPartition(r.topic(), r.partition())).add(r);
            }
            if (polled.isEmpty()) { // nothing more: is there anything left below the epoch's end at all?
                long now = consumer.endOffsets(List.of(tp)).get(tp);
                if (now < limit) {
                    throw new IllegalStateException(tp + " ends at offset " + now + ", before the epoch's recorded end "
                            + limit + " (the topic was recreated or truncated); this run cannot go on from its recorded "
                            + "position");
                }
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
