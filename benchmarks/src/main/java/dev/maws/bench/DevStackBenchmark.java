package dev.maws.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.maws.devstack.DevStack;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * {@code ./bench devstack}: how fast the devstack starts as its own process (the Foundation goal:
 * under 10 s), stops, and what Kafka and S3 deliver on loopback.
 */
final class DevStackBenchmark implements BenchMain.Benchmark {
    private static final int STARTS = 3;
    private static final int RECORDS = 50_000;
    private static final int RECORD_BYTES = 512;
    private static final int OBJECTS = 200;

    @Override
    public void run(String[] args, Path outDir) throws Exception {
        BenchReport report = new BenchReport("devstack", "n/a");
        Path work = Files.createTempDirectory("maws-bench-devstack");

        // Start as a separate JVM, the way ./maws starts it: time until the env file is written.
        Path jar = devstackJar();
        List<Double> fresh = new ArrayList<>();
        List<Double> reused = new ArrayList<>();
        List<Double> stops = new ArrayList<>();
        for (int i = 0; i < STARTS; i++) {
            Path dir = work.resolve("start-" + i);
            fresh.add(startAndStop(jar, dir, stops));
            reused.add(startAndStop(jar, dir, stops));
        }
        report.result(row("devstack process start, fresh data dir", "s", median(fresh), max(fresh), STARTS));
        report.result(row("devstack process start, reused data dir", "s", median(reused), max(reused), STARTS));
        report.result(row("devstack stop after SIGTERM", "s", median(stops), max(stops), stops.size()));

        try (DevStack stack = new DevStack(work.resolve("throughput")).start()) {
            kafka(stack, report);
            s3(stack, report);
        }
        report.goal(BenchReport.Goal.atMost("devstack start, fresh data dir, worst of " + STARTS + " (s)", max(fresh), 10));
        report.goal(BenchReport.Goal.atMost("devstack start, reused data dir, worst of " + STARTS + " (s)", max(reused), 10));
        report.write(outDir);
    }

    private static double startAndStop(Path jar, Path dir, List<Double> stops) throws Exception {
        Path env = dir.resolve("devstack.env");
        Files.deleteIfExists(env);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        Process p = new ProcessBuilder(java, "-jar", jar.toString(), "--data-dir", dir.toString(), "--env-file", env.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            DevStackProcess.awaitEnvFile(p, env, log, Duration.ofSeconds(120));
            double started = (System.nanoTime() - t0) / 1e9;
            long s0 = System.nanoTime();
            p.destroy(); // SIGTERM, as Ctrl-C would
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("devstack did not stop within 60 s of SIGTERM");
            }
            stops.add((System.nanoTime() - s0) / 1e9);
            return started;
        } finally {
            p.destroyForcibly();
        }
    }

    private static void kafka(DevStack stack, BenchReport report) {
        String topic = DevStack.TOPIC_CAPTIONS;
        byte[] value = new byte[RECORD_BYTES];
        Arrays.fill(value, (byte) 'x');
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>(RECORDS);
            for (int i = 0; i < RECORDS; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, "img-" + i, value)));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("produce failed", e);
        }
        double produceSeconds = (System.nanoTime() - t0) / 1e9;
        report.result(row("Kafka produce (acks=all, idempotent, 512 B)", "records/s", RECORDS / produceSeconds,
                RECORDS / produceSeconds, RECORDS));

        Properties c = new Properties();
        c.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        c.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        long t1 = System.nanoTime();
        int read = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (read < RECORDS && System.nanoTime() - t1 < Duration.ofSeconds(120).toNanos()) {
                for (ConsumerRecord<String, byte[]> ignored : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                }
            }
        }
        double consumeSeconds = (System.nanoTime() - t1) / 1e9;
        report.result(row("Kafka consume from the beginning", "records/s", read / consumeSeconds, read / consumeSeconds, read));
    }

    private static void s3(DevStack stack, BenchReport report) {
        try (ObjectStore store = ObjectStore.of(stack.serviceConfig())) {
            for (int size : new int[] {4 * 1024, 1024 * 1024}) {
                byte[] data = new byte[size];
                Arrays.fill(data, (byte) 7);
                List<Double> puts = new ArrayList<>();
                List<Double> gets = new ArrayList<>();
                for (int i = 0; i < OBJECTS; i++) {
                    String key = "images/bench/" + size + "/" + i + ".bin";
                    long t0 = System.nanoTime();
                    store.put(key, data, "application/octet-stream");
                    puts.add((System.nanoTime() - t0) / 1e6);
                    long t1 = System.nanoTime();
                    if (store.get(key).length != size) {
                        throw new IllegalStateException("S3 returned a different size for " + key);
                    }
                    gets.add((System.nanoTime() - t1) / 1e6);
                }
                String label = size < 1024 * 1024 ? (size / 1024) + " KiB" : (size / (1024 * 1024)) + " MiB";
                report.result(row("S3 put " + label + " (median / p99 latency)", "ms", median(puts), percentile(puts, 99), OBJECTS));
                report.result(row("S3 get " + label + " (median / p99 latency)", "ms", median(gets), percentile(gets, 99), OBJECTS));
            }
        }
    }

    private static Map<String, Object> row(String what, String unit, double typical, double worst, int n) {
        return BenchReport.row("measurement", what, "unit", unit, "median", typical, "worst", worst, "n", n);
    }

    private static Path devstackJar() throws IOException {
        Path target = Path.of("devstack", "target");
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "devstack-*.jar")) {
            for (Path jar : jars) {
                if (!jar.getFileName().toString().contains("-tests") && !jar.getFileName().toString().contains("-sources")) {
                    return jar;
                }
            }
        }
        throw new IllegalStateException("no devstack jar under " + target.toAbsolutePath() + ": build first (./maws build)");
    }

    static double median(List<Double> xs) {
        return percentile(xs, 50);
    }

    static double percentile(List<Double> xs, double p) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
