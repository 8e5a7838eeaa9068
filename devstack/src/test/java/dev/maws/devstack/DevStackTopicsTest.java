package dev.maws.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * The devstack's topics carry the config of the cluster's KafkaTopics, so that what runs locally
 * (tests, ./maws run, the benchmarks) behaves as the cluster does: retention, compaction and its lag,
 * record size. Only the partition counts differ (a laptop, not a cluster). A data dir made by an
 * earlier version keeps its topics and takes today's config for them.
 */
class DevStackTopicsTest {
    private static final Path TOPICS_YAML = Path.of("../k8s/base/kafka/topics.yaml");

    @Test
    void devStackTopicsHaveTheClustersTopicConfig() throws Exception {
        Map<String, Map<String, String>> cluster = new TreeMap<>();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class)
                .readValues(Files.readString(TOPICS_YAML))) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (!"KafkaTopic".equals(doc.path("kind").asText())) {
                    continue;
                }
                JsonNode spec = doc.path("spec");
                String name = spec.hasNonNull("topicName") ? spec.get("topicName").asText() : doc.path("metadata").path("name").asText();
                Map<String, String> config = new TreeMap<>();
                spec.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
                cluster.put(name, config);
            }
        }
        Map<String, Map<String, String>> local = new TreeMap<>();
        DevStack.TOPICS.forEach(t -> local.put(t.name(), new TreeMap<>(t.configs())));
        assertEquals(cluster, local, "DevStack.TOPICS and " + TOPICS_YAML + " must name the same topics with the same config");
    }

    @Test
    void aDataDirOfAnEarlierVersionGetsTodaysTopicConfig(@TempDir Path dir) throws Exception {
        String topic = "labeled-images";
        try (EmbeddedKafka kafka = new EmbeddedKafka(dir, List.of(new EmbeddedKafka.TopicSpec(topic, 1,
                Map.of("cleanup.policy", "compact"))))) {
            kafka.start();
            assertEquals("604800000", topicConfig(kafka, topic, "min.compaction.lag.ms", "retention.ms").get("retention.ms"));
        }
        try (EmbeddedKafka kafka = new EmbeddedKafka(dir, List.of(new EmbeddedKafka.TopicSpec(topic, 1,
                Map.of("cleanup.policy", "compact", "retention.ms", "-1", "min.compaction.lag.ms", "3600000"))))) {
            kafka.start();
            assertEquals(Map.of("min.compaction.lag.ms", "3600000", "retention.ms", "-1"),
                    topicConfig(kafka, topic, "min.compaction.lag.ms", "retention.ms"));
        }
    }

    private static Map<String, String> topicConfig(EmbeddedKafka kafka, String topic, String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            Map<String, String> values = new TreeMap<>();
            for (String name : names) {
                values.put(name, config.get(name).value());
            }
            return values;
        }
    }
}
