package dev.maws.devstack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plain Kafka clients for tests and tools that talk to a stack from outside a service: produce a
 * record and wait for the ack; read a topic from the beginning until the wanted records appear.
 */
public final class DevStackClients {
    private DevStackClients() {}

    /** Creates topics of {@code partitions} partitions (replication 1, the devstack's one broker). */
    public static void createTopics(String bootstrapServers, int partitions, String... topics) {
        Properties p = new Properties();
        p.setProperty(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
            List<org.apache.kafka.clients.admin.NewTopic> created = new ArrayList<>();
            for (String topic : topics) {
                created.add(new org.apache.kafka.clients.admin.NewTopic(topic, partitions, (short) 1));
            }
            admin.createTopics(created).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not create topics " + List.of(topics) + ": " + e.getMessage(), e);
        }
    }

    /** Sends one record (String key, bytes value) and waits until the broker has acknowledged it. */
    public static RecordMetadata produce(String bootstrapServers, String topic, String key, byte[] value) {
        try (KafkaProducer<String, byte[]> producer = producer(bootstrapServers)) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot produce to " + topic + " on " + bootstrapServers, e);
        }
    }

    /** Sends records (key -> value) in order with one producer and waits until every one is acknowledged. */
    public static void produceAll(String bootstrapServers, String topic, List<Map.Entry<String, byte[]>> records) {
        try (KafkaProducer<String, byte[]> producer = producer(bootstrapServers)) {
            List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>(records.size());
            for (Map.Entry<String, byte[]> r : records) {
                acks.add(producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())));
            }
            producer.flush();
            for (java.util.concurrent.Future<RecordMetadata> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot produce to " + topic + " on " + bootstrapServers, e);
        }
    }

    /**
     * An idempotent producer that waits for every in-sync replica (acks=all), one request in flight. Tests
     * produce to topics they have just created: a partition's broker can refuse the first batch
     * (NOT_LEADER_OR_FOLLOWER) before it has loaded the partition yet accept the next one, and then the
     * retried first batch is out of order for good (OutOfOrderSequenceException until the delivery timeout;
     * seen once in CI). With one request in flight no later batch can overtake a retried one.
     */
    private static KafkaProducer<String, byte[]> producer(String bootstrapServers) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Reads every partition of {@code topic} from the beginning (no consumer group, nothing committed)
     * until {@code wanted} has matched {@code count} records or {@code timeout} passes; returns the matches.
     */
    public static List<ConsumerRecord<String, byte[]>> consume(String bootstrapServers, String topic,
            Predicate<ConsumerRecord<String, byte[]>> wanted, int count, Duration timeout) {
        return consume(bootstrapServers, topic, new StringDeserializer(), wanted, count, timeout);
    }

    /** {@link #consume(String, String, Predicate, int, Duration)} with keys read by {@code keys}. */
    public static <K> List<ConsumerRecord<K, byte[]>> consume(String bootstrapServers, String topic, Deserializer<K> keys,
            Predicate<ConsumerRecord<K, byte[]>> wanted, int count, Duration timeout) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<K, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<K, byte[]> consumer = new KafkaConsumer<>(p, keys, new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (found.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<K, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (wanted.test(r)) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }
}
