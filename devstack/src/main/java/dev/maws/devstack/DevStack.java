package dev.maws.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Kafka + S3 for tests and the local run: a real broker and a real S3 server in this JVM, on free
 * loopback ports, with the platform's topics and bucket created. Reuses its data directory, so a
 * restart keeps every record and object.
 */
public final class DevStack implements AutoCloseable {
    /** The platform bucket: images/, vocab/, checkpoints/, datasets/, reports/, jobs/. */
    public static final String BUCKET = "maws";
    public static final String TOPIC_CAPTIONS = "captions";
    public static final String TOPIC_LABELED_IMAGES = "labeled-images";
    public static final String TOPIC_CAPTIONS_DLQ = "captions.dlq";

    /**
     * The topics of the Kafka contract (DESIGN.md), with the config of the cluster's KafkaTopics
     * (k8s/base/kafka/topics.yaml; {@code DevStackTopicsTest} keeps the two the same), fewer partitions.
     * labeled-images is the training set: compacted, kept forever, and nothing younger than an hour
     * compacted (a reader of its head sees every record; and the broker's one cleaner thread does not
     * recompact a busy topic every few seconds, as it did here with the devstack's 16 MB segments).
     */
    public static final List<EmbeddedKafka.TopicSpec> TOPICS = List.of(
            new EmbeddedKafka.TopicSpec(TOPIC_CAPTIONS, 3, Map.of("retention.ms", "604800000", "max.message.bytes", "1048576")),
            new EmbeddedKafka.TopicSpec(TOPIC_LABELED_IMAGES, 3,
                    Map.of("cleanup.policy", "compact", "retention.ms", "-1", "min.compaction.lag.ms", "3600000")),
            new EmbeddedKafka.TopicSpec(TOPIC_CAPTIONS_DLQ, 1, Map.of("retention.ms", "2592000000")));

    private final EmbeddedKafka kafka;
    private final EmbeddedS3 s3;
    private Duration startTime = Duration.ZERO;

    public DevStack(Path dataDir) {
        this.kafka = new EmbeddedKafka(dataDir.resolve("kafka"), TOPICS);
        this.s3 = new EmbeddedS3(dataDir.resolve("s3"), List.of(BUCKET));
    }

    /** A stack on {@code dataDir} emptied first: no topic, record or object of an earlier run. */
    public static DevStack fresh(Path dataDir) throws IOException {
        if (Files.exists(dataDir)) {
            try (Stream<Path> walk = Files.walk(dataDir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return new DevStack(dataDir);
    }

    public DevStack start() {
        long t0 = System.nanoTime();
        try {
            kafka.start();
            s3.start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        startTime = Duration.ofNanos(System.nanoTime() - t0);
        return this;
    }

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String s3Endpoint() {
        return s3.endpoint();
    }

    public String s3AccessKey() {
        return s3.accessKey();
    }

    public String s3SecretKey() {
        return s3.secretKey();
    }

    public Duration startTime() {
        return startTime;
    }

    /**
     * The configuration a service needs to use this stack, as Quarkus property names. The same keys
     * in environment-variable form are in {@link #environment()}.
     */
    public Map<String, String> serviceConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("kafka.bootstrap.servers", kafkaBootstrapServers());
        c.put("maws.s3.endpoint", s3Endpoint());
        c.put("maws.s3.region", EmbeddedS3.REGION);
        c.put("maws.s3.access-key", s3AccessKey());
        c.put("maws.s3.secret-key", s3SecretKey());
        c.put("maws.s3.bucket", BUCKET);
        return c;
    }

    /** {@link #serviceConfig()} with MicroProfile Config's environment-variable names. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        serviceConfig().forEach((k, v) -> env.put(k.toUpperCase().replaceAll("[^A-Z0-9]", "_"), v));
        return env;
    }

    @Override
    public void close() {
        try {
            s3.close();
        } finally {
            kafka.close();
        }
    }
}
