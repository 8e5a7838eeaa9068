package dev.maws.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;


import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.DevStackResource;
import dev.maws.proto.v1.CaptionRecord;
import dev.maws.proto.v1.LabeledImage;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** captions -> label-service -> labeled-images, and bad records -> captions.dlq, on the devstack broker. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class CaptionPipelineTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Test
    void aCaptionRecordBecomesALabeledImageUnderTheSameKey() throws Exception {
        String id = "img-" + UUID.randomUUID();
        CaptionRecord record = CaptionRecord.newBuilder().setImageId(id).setImageUri("images/test/" + id + ".png")
                .setCaption("Morning walk with my #GoldenRetriever 🐶 #dogsofinstagram").setSource("test").build();
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, id, record.toByteArray());

        List<ConsumerRecord<String, byte[]>> out = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                r -> id.equals(r.key()), 1, Duration.ofSeconds(60));
        assertEquals(1, out.size());
        LabeledImage labeled = LabeledImage.parseFrom(out.get(0).value());
        assertEquals(id, labeled.getImageId());
        assertEquals("images/test/" + id + ".png", labeled.getImageUri());
        assertEquals(List.of("goldenretriever", "dogsofinstagram"), labeled.getHashtagsList());
        assertTrue(labeled.getSynsetsList().contains("n02099601"), labeled.getSynsetsList().toString());
        assertEquals(labeled.getSynsetsCount(), labeled.getEvidenceCount());
        assertEquals("goldenretriever", labeled.getEvidence(0).getHashtag());
    }

    @Test
    void unusableRecordsGoToTheDeadLetterTopicWithTheReasonAndTheServiceGoesOn() throws Exception {
        String garbage = "bad-" + UUID.randomUUID();
        byte[] bytes = "this is not protobuf \u0000\u0001\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, garbage, bytes);
        String escaping = "esc-" + UUID.randomUUID();
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, escaping, CaptionRecord.newBuilder().setImageId(escaping)
                .setImageUri("images/../jobs/x.json").setCaption("#dog").build().toByteArray());
        String elsewhere = "other-bucket-" + UUID.randomUUID();
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, elsewhere, CaptionRecord.newBuilder().setImageId(elsewhere)
                .setImageUri("s3://someone-elses-bucket/images/x.png").setCaption("#dog").build().toByteArray());
        String notAnImage = "vocab-" + UUID.randomUUID();
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, notAnImage, CaptionRecord.newBuilder().setImageId(notAnImage)
                .setImageUri("vocab/some-version.json").setCaption("#dog").build().toByteArray());
        String good = "ok-" + UUID.randomUUID();
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, good, CaptionRecord.newBuilder().setImageId(good)
                .setImageUri("s3://" + DevStack.BUCKET + "/images/" + good + ".png").setCaption("#geese").build()
                .toByteArray());

        List<ConsumerRecord<String, byte[]>> dead = DevStackClients.consume(kafka, DevStack.TOPIC_CAPTIONS_DLQ,
                r -> garbage.equals(r.key()) || escaping.equals(r.key()) || elsewhere.equals(r.key())
                        || notAnImage.equals(r.key()), 4, Duration.ofSeconds(60));
        assertEquals(4, dead.size());
        for (ConsumerRecord<String, byte[]> r : dead) {
            Header reason = r.headers().lastHeader("dead-letter-reason");
            assertTrue(reason != null, "no reason header on " + r.key());
            String why = new String(reason.value(), StandardCharsets.UTF_8);
            Header from = r.headers().lastHeader("dead-letter-topic");
            assertEquals(DevStack.TOPIC_CAPTIONS, from == null ? null : new String(from.value(), StandardCharsets.UTF_8));
            assertTrue(r.headers().lastHeader("dead-letter-offset") != null, "no offset header on " + r.key());
            if (r.key().equals(garbage)) {
                assertArrayEquals(bytes, r.value(), "the original bytes are kept");
                assertTrue(why.contains("not a maws.v1.CaptionRecord") || why.contains("image_id"), why);
            } else if (r.key().equals(escaping)) {
                assertTrue(why.contains("must not contain '.' or '..' segments"), why);
            } else if (r.key().equals(notAnImage)) {
                assertTrue(why.contains("image_uri must name an object under images/"), why);
            } else {
                assertTrue(why.contains("is not in the platform bucket " + DevStack.BUCKET), why);
            }
        }
        List<ConsumerRecord<String, byte[]>> out = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                r -> good.equals(r.key()), 1, Duration.ofSeconds(60));
        assertEquals(List.of("n01855672"), LabeledImage.parseFrom(out.get(0).value()).getSynsetsList());
    }

    @Test
    void aShardMemberIsLabelledAndAMalformedMemberReferenceIsDeadLetteredWithTheReason() throws Exception {
        String run = UUID.randomUUID().toString();
        String member = "cc/" + run + "/0001";
        String uri = "shards/cc/shard-00000.tar#" + run + "/0001";
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, member, CaptionRecord.newBuilder().setImageId(member)
                .setImageUri(uri).setCaption("my #goldenretriever").setSource("test").build().toByteArray());
        Map<String, String> bad = Map.of(
                "nokey-" + run, "shards/cc/shard-00000.tar#",
                "nested-" + run, "shards/cc/sub/shard-00000.tar#k",
                "wholeshard-" + run, "shards/cc/shard-00000.tar",
                "index-" + run, "shards/cc/shard-00000.index.jsonl");
        bad.forEach((id, badUri) -> DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, id, CaptionRecord.newBuilder()
                .setImageId(id).setImageUri(badUri).setCaption("#dog").build().toByteArray()));

        List<ConsumerRecord<String, byte[]>> out = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                r -> member.equals(r.key()), 1, Duration.ofSeconds(60));
        LabeledImage labeled = LabeledImage.parseFrom(out.get(0).value());
        assertEquals(uri, labeled.getImageUri());
        assertTrue(labeled.getSynsetsList().contains("n02099601"), labeled.getSynsetsList().toString());
        List<ConsumerRecord<String, byte[]>> dead = DevStackClients.consume(kafka, DevStack.TOPIC_CAPTIONS_DLQ,
                r -> bad.containsKey(r.key()), bad.size(), Duration.ofSeconds(60));
        assertEquals(bad.size(), dead.size());
        for (ConsumerRecord<String, byte[]> r : dead) {
            String why = new String(r.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8);
            String expected = r.key().startsWith("nokey-") ? "a shard member's key must be 1-512 characters"
                    : r.key().startsWith("nested-") ? "a shard member's shard must be shards/{dataset}/{shard}.tar"
                    : "image_uri must name an object under images/ or a shard member shards/";
            assertTrue(why.contains(expected), r.key() + ": " + why);
        }
    }

    @Test
    void aDeadLetterKeepsAKeyThatIsNotUtf8ByteForByte() throws Exception {
        // 0xC3 0x28 is no UTF-8: read as a string it would come back as U+FFFD and lose the key
        byte[] key = ("raw-" + UUID.randomUUID()).getBytes(StandardCharsets.US_ASCII);
        key[0] = (byte) 0xC3;
        key[1] = (byte) 0x28;
        byte[] value = ("garbage " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(DevStack.TOPIC_CAPTIONS, key, value)).get(30, TimeUnit.SECONDS);
        }
        List<ConsumerRecord<byte[], byte[]>> dead = DevStackClients.consume(kafka, DevStack.TOPIC_CAPTIONS_DLQ,
                new ByteArrayDeserializer(), r -> Arrays.equals(value, r.value()), 1, Duration.ofSeconds(60));
        assertEquals(1, dead.size());
        assertArrayEquals(key, dead.get(0).key());
    }

    @Test
    void aRecordTooLargeToSendOnWholeIsDeadLetteredCutAndTheServiceGoesOn() throws Exception {
        // 3 MB that gzip makes small: the broker takes it (1 MB limit on the compressed batch), the service
        // refuses its caption, and the dead letter, whole, would be over the producer's 1 MB request limit
        String big = "big-" + UUID.randomUUID();
        byte[] value = CaptionRecord.newBuilder().setImageId(big).setImageUri("images/" + big + ".png")
                .setCaption("#dog " + "y".repeat(3_000_000)).build().toByteArray();
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        p.setProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(4 << 20));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(DevStack.TOPIC_CAPTIONS, big, value)).get(30, TimeUnit.SECONDS);
        }
        String blank = "blank-" + UUID.randomUUID();
        DevStackClients.produce(kafka, DevStack.TOPIC_CAPTIONS, blank, CaptionRecord.newBuilder().setImageId(blank)
                .setImageUri("images/" + blank + ".png").setCaption(" ").build().toByteArray());

        List<ConsumerRecord<String, byte[]>> dead = DevStackClients.consume(kafka, DevStack.TOPIC_CAPTIONS_DLQ,
                r -> big.equals(r.key()), 1, Duration.ofSeconds(60));
        assertEquals(1, dead.size());
        ConsumerRecord<String, byte[]> d = dead.get(0);
        assertArrayEquals(Arrays.copyOf(value, 262_144), d.value(), "the first maws.label.dead-letter-max-value-bytes");
        assertEquals(Integer.toString(value.length), new String(d.headers().lastHeader("dead-letter-value-bytes").value(),
                StandardCharsets.UTF_8));
        String why = new String(d.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8);
        assertTrue(why.contains("maws.label.max-caption-length = 2200"), why);

        // the same with a 1 MB key and 2 MB of headers (gzip makes them small too): both bounded in the dead letter
        String longKey = "k-" + UUID.randomUUID() + "-" + "k".repeat(1_000_000);
        ProducerRecord<String, byte[]> heavy = new ProducerRecord<>(DevStack.TOPIC_CAPTIONS, longKey, new byte[] {1, 2, 3});
        for (int i = 0; i < 2; i++) {
            heavy.headers().add("h" + i, new byte[1 << 20]);
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(heavy).get(30, TimeUnit.SECONDS);
        }
        String keyStart = longKey.substring(0, 4096);
        List<ConsumerRecord<String, byte[]>> heavyDead = DevStackClients.consume(kafka, DevStack.TOPIC_CAPTIONS_DLQ,
                r -> keyStart.equals(r.key()), 1, Duration.ofSeconds(60));
        assertEquals(1, heavyDead.size(), "dead-lettered, key cut to its first 4,096 bytes");
        org.apache.kafka.common.header.Headers h = heavyDead.get(0).headers();
        assertEquals(Integer.toString(longKey.length()), new String(h.lastHeader("dead-letter-key-bytes").value(),
                StandardCharsets.UTF_8));
        assertEquals("2 headers, 2097168 bytes", new String(h.lastHeader("dead-letter-headers-dropped").value(),
                StandardCharsets.UTF_8));
        assertEquals(null, h.lastHeader("h0"), "the record's own headers were dropped");

        // an image posted without a caption is an image: labelled, with no labels (MAE still trains on it)
        List<ConsumerRecord<String, byte[]>> out = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                r -> blank.equals(r.key()), 1, Duration.ofSeconds(60));
        assertEquals(1, out.size());
        LabeledImage labeled = LabeledImage.parseFrom(out.get(0).value());
        assertEquals("images/" + blank + ".png", labeled.getImageUri());
        assertEquals(0, labeled.getSynsetsCount());
    }
}
