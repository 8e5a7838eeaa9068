package dev.maws.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.proto.v1.CaptionRecord;
import dev.maws.proto.v1.FreezeVocabularyRequest;
import dev.maws.proto.v1.LabelServiceGrpc;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.proto.v1.Vocabulary;

/**
 * Steps 2 and 3: a caption per training image produced to {@code captions} (generated for
 * Fashion-MNIST, a corpus's own for {@code --dataset}; plus a few
 * malformed records, which must end in {@code captions.dlq} while the rest goes on), labelled by
 * label-service, then the vocabulary frozen. With faults on, label-service is killed with SIGKILL
 * halfway through and started again. Waits until every key is in {@code labeled-images} or in the
 * dead-letter topic, and checks that each is in exactly one of them and that repeated keys carry
 * identical records.
 */
final class Labelling {
    /** Records that are not a CaptionRecord: each must be dead-lettered, none may stop the service. */
    static final List<Map.Entry<String, byte[]>> MALFORMED = List.of(
            new AbstractMap.SimpleEntry<>("malformed-0", "this is not a protobuf".getBytes(StandardCharsets.UTF_8)),
            new AbstractMap.SimpleEntry<>("malformed-1", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0a}),
            new AbstractMap.SimpleEntry<>("malformed-2", CaptionRecord.newBuilder().setImageId("malformed-2")
                    .setImageUri("../../etc/passwd").setCaption("#dress").build().toByteArray()));

    /**
     * What came out of labelling. The true- and wrong-class counts are those of generated captions,
     * whose classes are known; a corpus's captions have none ({@code hasTruth} false, counts 0).
     */
    record Result(int captions, int malformedSent, int deadLettered, Map<String, String> deadLetterReasons, int labelled,
            boolean hasTruth, int withTrueLabel, int withWrongLabel, int withoutLabel, int repeatedKeys,
            boolean labelServiceKilled, Vocabulary vocabulary, double seconds) {}

    /**
     * The caption records to send, keyed by image id, and the true class of each id where it is known.
     */
    record Captions(List<Map.Entry<String, byte[]>> records, Map<String, Integer> truth) {}

    private Labelling() {}

    /** A generated caption per imported Fashion-MNIST training image, naming its {@code images/} object. */
    static Captions fashion(FashionImport.Imported data, CaptionGenerator captions) {
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        Map<String, Integer> truth = new HashMap<>();
        for (int i = 0; i < data.trainImages(); i++) {
            String id = String.format("fmnist-train-%05d", i);
            int label = data.train().label(i);
            truth.put(id, label);
            records.add(new AbstractMap.SimpleEntry<>(id, CaptionRecord.newBuilder().setImageId(id)
                    .setImageUri(data.trainKeys().get(i)).setCaption(captions.caption(i, label))
                    .setSource("maws-pipeline/fashion-mnist").build().toByteArray()));
        }
        return new Captions(records, truth);
    }

    /**
     * The corpus's own caption of every sample of its stored shards, image id {@code {dataset}/{key}},
     * naming its image as a {@link ShardMember}.
     */
    static Captions corpus(CorpusImport.Imported corpus) {
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        String source = "maws-pipeline/corpus/" + corpus.dataset();
        for (CorpusImport.StoredShard shard : corpus.shards()) {
            for (ShardIndex.Entry e : shard.index().entries()) {
                String id = corpus.dataset() + "/" + e.key();
                records.add(new AbstractMap.SimpleEntry<>(id, CaptionRecord.newBuilder().setImageId(id)
                        .setImageUri(new ShardMember(shard.shardKey(), e.key()).uri()).setCaption(e.caption())
                        .setSource(source).build().toByteArray()));
            }
        }
        return new Captions(records, Map.of());
    }

    static Result run(LocalPlatform platform, Captions captions, Preset preset, Progress progress) throws Exception {
        long t0 = System.nanoTime();
        String bootstrap = platform.stack().kafkaBootstrapServers();
        List<Map.Entry<String, byte[]>> records = new ArrayList<>(captions.records());
        Map<String, Integer> truth = captions.truth();
        Set<String> valid = new java.util.HashSet<>();
        records.forEach(r -> valid.add(r.getKey()));
        int sentCaptions = records.size();
        // the malformed ones in the middle of the stream: the records after them must still be labelled
        records.addAll(records.size() / 3, MALFORMED);
        int total = records.size();
        Progress.Bar bar = progress.bar("label", total);
        boolean kill = preset.killServices();
        int half = total / 2;
        DevStackClients.produceAll(bootstrap, DevStack.TOPIC_CAPTIONS, kill ? records.subList(0, half) : records);
        Map<String, List<byte[]>> labelled = new LinkedHashMap<>();
        Map<String, String> dead = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = outputs(bootstrap)) {
            if (kill) {
                await(consumer, labelled, dead, half / 4, bar, Duration.ofMinutes(5)); // mid-stream
                progress.say("faults: killing label-service with SIGKILL after " + (labelled.size() + dead.size())
                        + " of " + total + " records");
                platform.kill("label-service");
                DevStackClients.produceAll(bootstrap, DevStack.TOPIC_CAPTIONS, records.subList(half, total));
                platform.start("label-service");
                progress.say("faults: label-service started again");
            }
            await(consumer, labelled, dead, total, bar, Duration.ofMinutes(10));
            // and what else is on the topics by now (a redelivered record after its first copy), so that
            // every copy of a key is compared, not only those read before the count was reached
            drain(consumer, labelled, dead);
        }
        int repeated = 0;
        int withTrue = 0;
        int withWrong = 0;
        int without = 0;
        for (Map.Entry<String, List<byte[]>> e : labelled.entrySet()) {
            List<byte[]> values = e.getValue();
            if (values.size() > 1) {
                repeated++;
                for (byte[] v : values) {
                    if (!Arrays.equals(v, values.get(0))) {
                        throw new IllegalStateException("key " + e.getKey() + " was labelled twice with different records");
                    }
                }
            }
            if (dead.containsKey(e.getKey())) {
                throw new IllegalStateException("key " + e.getKey() + " is both labelled and dead-lettered");
            }
            if (!valid.contains(e.getKey())) {
                throw new IllegalStateException("labelled a key that was never a valid caption: " + e.getKey());
            }
            List<String> synsets = LabeledImage.parseFrom(values.get(0)).getSynsetsList();
            without += synsets.isEmpty() ? 1 : 0;
            Integer label = truth.get(e.getKey());
            if (label != null) {
                String right = FashionMnist.CLASS_SYNSETS.get(label);
                withTrue += synsets.contains(right) ? 1 : 0;
                withWrong += synsets.stream().anyMatch(s -> !s.equals(right)) ? 1 : 0;
            }
        }
        Set<String> sent = new java.util.HashSet<>(valid);
        MALFORMED.forEach(m -> sent.add(m.getKey()));
        for (String key : dead.keySet()) {
            if (!sent.contains(key)) {
                throw new IllegalStateException("dead-lettered a key that was never sent: " + key);
            }
        }
        for (Map.Entry<String, byte[]> m : MALFORMED) {
            if (!dead.containsKey(m.getKey())) {
                throw new IllegalStateException("malformed record " + m.getKey() + " did not reach " + DevStack.TOPIC_CAPTIONS_DLQ);
            }
        }
        if (labelled.size() + dead.size() != total) {
            throw new IllegalStateException("only " + (labelled.size() + dead.size()) + " of " + total
                    + " records were labelled or dead-lettered in time; see " + platform.log("label-service"));
        }
        Vocabulary vocabulary = LabelServiceGrpc.newBlockingStub(platform.channel("label-service"))
                .withDeadlineAfter(2, java.util.concurrent.TimeUnit.MINUTES)
                .freezeVocabulary(FreezeVocabularyRequest.newBuilder().setMinCount(minCount(sentCaptions)).build());
        String classes = truth.isEmpty() ? "" : String.format("%d with the true class, %d with a wrong one, ", withTrue, withWrong);
        bar.done(String.format("%d labelled (%s%d with no synset), %d dead-lettered; vocabulary %s of %d synsets",
                labelled.size(), classes, without, dead.size(), vocabulary.getVersion(), vocabulary.getSize()));
        return new Result(sentCaptions, MALFORMED.size(), dead.size(), dead, labelled.size(), !truth.isEmpty(), withTrue,
                withWrong, without, repeated, kill, vocabulary, (System.nanoTime() - t0) / 1e9);
    }

    /** A synset must label at least 0.2 % of the images (at least 2) to enter the vocabulary. */
    static long minCount(int images) {
        return Math.max(2, images / 500);
    }

    private static KafkaConsumer<String, byte[]> outputs(String bootstrap) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : Set.of(DevStack.TOPIC_LABELED_IMAGES, DevStack.TOPIC_CAPTIONS_DLQ)) {
            c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        c.assign(partitions);
        c.seekToBeginning(partitions);
        return c;
    }

    /** Reads both output topics up to the end offsets they have now. */
    private static void drain(KafkaConsumer<String, byte[]> consumer, Map<String, List<byte[]>> labelled,
            Map<String, String> dead) {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the output topics could not be read to their end in a minute");
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                take(r, labelled, dead);
            }
        }
    }

    /** Reads both output topics until {@code keys} distinct keys are seen or the timeout passes. */
    private static void await(KafkaConsumer<String, byte[]> consumer, Map<String, List<byte[]>> labelled,
            Map<String, String> dead, int keys, Progress.Bar bar, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (labelled.size() + dead.size() < keys && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                take(r, labelled, dead);
            }
            bar.set(labelled.size() + dead.size(), keys, labelled.size() + " labelled, " + dead.size() + " dead-lettered");
        }
    }

    private static void take(ConsumerRecord<String, byte[]> r, Map<String, List<byte[]>> labelled, Map<String, String> dead) {
        if (r.topic().equals(DevStack.TOPIC_CAPTIONS_DLQ)) {
            Header reason = r.headers().lastHeader("dead-letter-reason");
            String why = reason == null ? "(no reason header)" : new String(reason.value(), StandardCharsets.UTF_8);
            String before = dead.put(r.key(), why);
            if (before != null && !before.equals(why)) { // a redelivery must dead-letter it the same way
                throw new IllegalStateException("key " + r.key() + " was dead-lettered twice with different reasons: \""
                        + before + "\" and \"" + why + "\"");
            }
        } else {
            labelled.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
        }
    }
}
