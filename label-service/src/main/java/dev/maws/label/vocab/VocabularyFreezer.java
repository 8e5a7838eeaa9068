package dev.maws.label.vocab;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import jakarta.inject.Singleton;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;

import dev.maws.label.LabelConfig;
import dev.maws.label.wordnet.WordNetIndex;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.LabeledImage;

/**
 * Freezes a label vocabulary from everything labelled so far: reads the compacted
 * {@code labeled-images} topic up to its current end (the latest record per image id counts, as
 * compaction will keep it; a tombstone removes the image), counts the images of each synset, keeps
 * those seen at least {@code min_count} times, the {@code max_size} most frequent first (ties by
 * synset id), and writes {@code vocab/{version}.json}. Counting from the topic, not from a counter
 * in memory, makes the result independent of restarts, redeliveries and replicas. The memory a
 * freeze needs is ~41 bytes per image of the largest partition at three labels an image
 * ({@link LatestLabelSets}).
 */
@Singleton
public class VocabularyFreezer {
    private static final Logger LOG = Logger.getLogger(VocabularyFreezer.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final VocabularyStore store;
    private final WordNetIndex wordnet;
    private final LabelConfig config;
    private final String bootstrapServers;

    VocabularyFreezer(VocabularyStore store, WordNetIndex wordnet, LabelConfig config,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.store = store;
        this.wordnet = wordnet;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * @throws IllegalArgumentException for a bad min_count / max_size
     * @throws NothingToFreezeException when no synset qualifies
     */
    public Vocabulary freeze(long minCount, int maxSize) {
        int limit = config.vocabulary().maxSize();
        if (minCount < 0) {
            throw new IllegalArgumentException("min_count must be >= 0, got " + minCount);
        }
        if (maxSize < 0 || maxSize > limit) {
            throw new IllegalArgumentException("max_size must be in [0, " + limit + "] (0 = up to "
                    + "maws.label.vocabulary.max-size=" + limit + "), got " + maxSize);
        }
        int size = maxSize == 0 ? limit : maxSize;
        long t0 = System.nanoTime();
        Scan scan = scan();
        // the topic is open to any producer: an id that is no WordNet noun synset cannot be in a vocabulary
        List<String> invalid = scan.counts.keySet().stream().filter(id -> !isNounSynset(id)).sorted().toList();
        if (!invalid.isEmpty()) {
            LOG.warnf("%d synset id(s) on %s are not WordNet noun synsets and are left out, e.g. %s", invalid.size(),
                    config.vocabulary().topic(), invalid.subList(0, Math.min(5, invalid.size())));
        }
        List<Map.Entry<String, Long>> kept = scan.counts.entrySet().stream()
                .filter(e -> isNounSynset(e.getKey()))
                .filter(e -> e.getValue() >= Math.max(1, minCount))
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .limit(size).toList();
        if (kept.isEmpty()) {
            throw new NothingToFreezeException("no synset is on at least " + Math.max(1, minCount) + " of the " + scan.images
                    + " labelled images; label more captions or lower min_count");
        }
        List<Vocabulary.Entry> entries = new ArrayList<>(kept.size());
        for (Map.Entry<String, Long> e : kept) {
            entries.add(new Vocabulary.Entry(e.getKey(), wordnet.lemmas(WordNetIndex.offset(e.getKey())), e.getValue()));
        }
        String rule = "min_count=" + minCount + ",max_size=" + maxSize + ",images=" + scan.images + ",synsets_seen="
                + scan.counts.size() + ",topic=" + config.vocabulary().topic();
        Instant now = Instant.now();
        String version = STAMP.format(now) + "-" + digest(rule, entries);
        Vocabulary v = new Vocabulary(version, now.toString(), rule, entries.size(), entries);
        store.put(v);
        LOG.infof("vocabulary %s frozen: %d synsets from %d images in %.1f s (%s)", version, entries.size(), scan.images,
                (System.nanoTime() - t0) / 1e9, rule);
        return v;
    }

    private record Scan(Map<String, Long> counts, long images) {}

    private boolean isNounSynset(String id) {
        try {
            return !wordnet.lemmas(WordNetIndex.offset(id)).isEmpty();
        } catch (IllegalArgumentException e) { // offset() checks the form of the id
            return false;
        }
    }

    private Scan scan() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        String topic = config.vocabulary().topic();
        LatestLabelSets labelled = new LatestLabelSets();
        Duration timeout = config.vocabulary().scanTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            // one partition at a time: an image's records all sit in one, so the memory is that of the largest
            for (TopicPartition tp : partitions) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long last = end.get(tp);
                while (consumer.position(tp) < last) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("reading " + topic + " took longer than "
                                + "maws.label.vocabulary.scan-timeout=" + timeout);
                    }
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.offset() >= last || r.key() == null) {
                            continue;
                        }
                        if (r.value() == null) {
                            labelled.remove(r.key()); // tombstone
                            continue;
                        }
                        try {
                            labelled.put(r.key(), LabeledImage.parseFrom(r.value()).getSynsetsList());
                        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
                            labelled.remove(r.key()); // its latest record is not countable: neither is an earlier one
                            LOG.debugf("%s at %d/%d is not a LabeledImage we count (%s)", topic, r.partition(), r.offset(),
                                    e.getMessage());
                        }
                    }
                }
                LOG.debugf("%s: %d images in %d bytes", tp, labelled.imagesInPartition(), labelled.bytesInPartition());
                labelled.endPartition();
            }
        }
        return new Scan(labelled.synsetCounts(), labelled.images());
    }

    private static String digest(String rule, List<Vocabulary.Entry> entries) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(rule.getBytes(StandardCharsets.UTF_8));
            for (Vocabulary.Entry e : entries) {
                d.update((e.synset() + ":" + e.count() + ";").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest()).substring(0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** No synset qualifies for the vocabulary asked for. */
    public static final class NothingToFreezeException extends IllegalStateException {
        public NothingToFreezeException(String message) {
            super(message);
        }
    }
}
