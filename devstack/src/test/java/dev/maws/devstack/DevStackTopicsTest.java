package dev.maws.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The devstack's topics carry the config of the cluster's KafkaTopics, and its broker the cluster's
 * record size limit, so that what runs locally (tests, ./maws run, the benchmarks) behaves as the
 * cluster does: retention, compaction and its lag, record sizes. Only the partition counts differ (a
 * laptop, not a cluster). A data dir made by an earlier start keeps its topics and takes today's config.
 */
class DevStackTopicsTest {
    private static final Path KAFKA = root().resolve("k8s/base/kafka");

    /** The repository root: set by the build (maws.root), else this module's parent, as from surefire. */
    private static Path root() {
        String root = System.getProperty("maws.root");
        return (root == null || root.isBlank() ? Path.of("..") : Path.of(root)).toAbsolutePath().normalize();
    }

    @Test
    void devStackTopicsHaveTheClustersTopicConfig() throws Exception {
        Map<String, Map<String, String>> cluster = new TreeMap<>();
        for (JsonNode doc : yaml(KAFKA.resolve("topics.yaml"))) {
            if (!"KafkaTopic".equals(doc.path("kind").asText())) {
                continue;
            }
            JsonNode spec = doc.path("spec");
            String name = spec.hasNonNull("topicName") ? spec.get("topicName").asText() : doc.path("metadata").path("name").asText();
            Map<String, String> config = new TreeMap<>();
            spec.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
            cluster.put(name, config);
        }
        Map<String, Map<String, String>> local = new TreeMap<>();
        DevStack.TOPICS.forEach(t -> local.put(t.name(), new TreeMap<>(t.configs())));
        assertEquals(cluster, local, "DevStack.TOPICS and " + KAFKA.resolve("topics.yaml")
                + " must name the same topics with the same config");
    }

    @Test
    void devStackBrokerHasTheClustersRecordSizeLimit() throws Exception {
        List<String> limits = new ArrayList<>();
        for (JsonNode doc : yaml(KAFKA.resolve("kafka.yaml"))) {
            if ("Kafka".equals(doc.path("kind").asText())) {
                limits.add(doc.path("spec").path("kafka").path("config").path("message.max.bytes").asText());
            }
        }
        assertEquals(List.of(String.valueOf(EmbeddedKafka.MESSAGE_MAX_BYTES)), limits);
    }

    @Test
    void aDataDirOfAnEarlierStartGetsTodaysTopicConfig(@TempDir Path dir) throws Exception {
        String topic = DevStack.TOPIC_LABELED_IMAGES;
        try (EmbeddedKafka kafka = new EmbeddedKafka(dir, List.of(new EmbeddedKafka.TopicSpec(topic, 1,
                Map.of("cleanup.policy", "compact"))))) {
            kafka.start();
            // the broker's defaults: compacted as soon as the cleaner gets to it, kept 7 days
            assertEquals(Map.of("min.compaction.lag.ms", "0", "retention.ms", "604800000"),
                    topicConfig(kafka, topic, Map.of("min.compaction.lag.ms", "0", "retention.ms", "604800000")));
        }
        Map<String, String> today = Map.of("min.compaction.lag.ms", "3600000", "retention.ms", "-1");
        try (EmbeddedKafka kafka = new EmbeddedKafka(dir, List.of(new EmbeddedKafka.TopicSpec(topic, 1,
                Map.of("cleanup.policy", "compact", "retention.ms", "-1", "min.compaction.lag.ms", "3600000"))))) {
            kafka.start();
            assertEquals(today, topicConfig(kafka, topic, today));
        }
    }

    private static List<JsonNode> yaml(Path file) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class).readValues(Files.readString(file))) {
            it.forEachRemaining(docs::add);
        }
        return docs;
    }

    /**
     * The topic's values of {@code expected}'s keys, read until they equal {@code expected} or 10 s have
     * passed (a config change reaches the broker's own view a moment after the controller commits it).
     */
    private static Map<String, String> topicConfig(EmbeddedKafka kafka, String topic, Map<String, String> expected)
            throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
                Map<String, String> values = new TreeMap<>();
                expected.keySet().forEach(name -> values.put(name, config.get(name).value()));
                if (values.equals(expected) || System.nanoTime() > deadline) {
                    return values;
                }
                Thread.sleep(100);
            }
        }
    }
}
