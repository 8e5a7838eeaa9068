package dev.maws.devstack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real Kafka broker in KRaft combined mode (broker + controller, one node) inside this JVM.
 * The log directory survives restarts: an existing, formatted directory is reused with its topics
 * and records, its topics given the config of today's {@link TopicSpec}s.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final String CLUSTER_ID_FILE = "cluster.id";
    /** The cluster's broker limit (k8s/base/kafka/kafka.yaml; DevStackTopicsTest compares them). */
    static final int MESSAGE_MAX_BYTES = 1_100_000;

    private final Path dataDir;
    private final List<TopicSpec> topics;
    private KafkaRaftServer server;
    private String bootstrapServers;

    /**
     * A topic to create at start-up; when it exists already (a data dir of an earlier start), its
     * records are kept and each of {@code configs} is set on it (set, never removed: a setting a later
     * version drops stays on an old data dir's topic).
     */
    public record TopicSpec(String name, int partitions, Map<String, String> configs) {}

    public EmbeddedKafka(Path dataDir, List<TopicSpec> topics) {
        this.dataDir = dataDir;
        this.topics = List.copyOf(topics);
    }

    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            Ports ports = Ports.load(dataDir.resolve("ports.properties"));
            int brokerPort = FreePorts.preferred(ports.broker);
            int controllerPort = FreePorts.preferred(ports.controller);
            if (controllerPort == brokerPort) {
                controllerPort = FreePorts.next();
            }
            new Ports(brokerPort, controllerPort).store(dataDir.resolve("ports.properties"));

            Path logDir = dataDir.resolve("log");
            Path config = dataDir.resolve("server.properties");
            Properties props = brokerProperties(logDir, brokerPort, controllerPort);
            try (Writer out = Files.newBufferedWriter(config)) {
                props.store(out, "written by devstack at every start");
            }
            formatOnce(logDir, config);

            server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
            server.startup();
            bootstrapServers = "127.0.0.1:" + brokerPort;
            ensureTopics();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Kafka in " + dataDir, e);
        }
    }

    public String bootstrapServers() {
        if (bootstrapServers == null) {
            throw new IllegalStateException("Kafka is not started");
        }
        return bootstrapServers;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
            bootstrapServers = null;
        }
    }

    private static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        // A static single voter: the quorum lives in config, so a restart on other ports is fine.
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", logDir.toAbsolutePath().toString());
        // One node: every internal topic has one replica and few partitions (fast start, small disk).
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "3");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "3");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("num.partitions", "1");
        // Topics are contracts: a typo must fail, not create a new topic.
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("message.max.bytes", String.valueOf(MESSAGE_MAX_BYTES));
        // The cleaner's default 128 MB dedupe buffer is too much for test heaps.
        p.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
        p.setProperty("log.cleaner.threads", "1");
        p.setProperty("log.segment.bytes", String.valueOf(16 * 1024 * 1024));
        p.setProperty("log.retention.check.interval.ms", "60000");
        return p;
    }

    private void formatOnce(Path logDir, Path config) throws IOException {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return; // formatted by an earlier start: keep every topic and offset
        }
        Path idFile = dataDir.resolve(CLUSTER_ID_FILE);
        String clusterId = Files.exists(idFile) ? Files.readString(idFile).trim() : Uuid.randomUuid().toString();
        Files.writeString(idFile, clusterId);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = StorageTool.execute(new String[] {
            "format", "--cluster-id", clusterId, "--config", config.toString(), "--ignore-formatted"
        }, new PrintStream(out, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("formatting the Kafka log dir failed: " + out.toString(StandardCharsets.UTF_8));
        }
    }

    private void ensureTopics() {
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(props)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            Map<ConfigResource, Collection<AlterConfigOp>> kept = new HashMap<>();
            for (TopicSpec t : topics) {
                if (!existing.contains(t.name())) {
                    missing.add(new NewTopic(t.name(), t.partitions(), (short) 1).configs(t.configs()));
                } else if (!t.configs().isEmpty()) { // a data dir of an earlier start: today's config, which may differ
                    kept.put(new ConfigResource(ConfigResource.Type.TOPIC, t.name()), t.configs().entrySet().stream()
                            .map(c -> new AlterConfigOp(new ConfigEntry(c.getKey(), c.getValue()), AlterConfigOp.OpType.SET))
                            .toList());
                }
            }
            if (!kept.isEmpty()) {
                admin.incrementalAlterConfigs(kept).all().get(30, TimeUnit.SECONDS);
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create or configure the devstack topics on " + bootstrapServers, e);
        }
    }

    /** Ports of the last start, so a restart keeps its addresses when it can. */
    private record Ports(int broker, int controller) {
        static Ports load(Path file) throws IOException {
            if (!Files.exists(file)) {
                return new Ports(0, 0);
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            return new Ports(Integer.parseInt(p.getProperty("broker", "0")), Integer.parseInt(p.getProperty("controller", "0")));
        }

        void store(Path file) throws IOException {
            Properties p = new Properties();
            p.setProperty("broker", String.valueOf(broker));
            p.setProperty("controller", String.valueOf(controller));
            try (Writer out = Files.newBufferedWriter(file)) {
                p.store(out, null);
            }
        }
    }
}
