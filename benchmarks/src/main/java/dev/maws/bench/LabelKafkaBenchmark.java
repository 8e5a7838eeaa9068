package dev.maws.bench;

import static dev.maws.bench.BenchReport.row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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
import dev.maws.devstack.ServiceProcess;
import dev.maws.proto.v1.CaptionRecord;
import dev.maws.proto.v1.LabeledImage;

/**
 * The Kafka half of {@code ./bench label}: CaptionRecords produced to {@code captions}, labelled by the
 * packaged label-service (its own process) and read back from {@code labeled-images}, against two
 * measures of what Kafka itself costs, on the same devstack broker and the same cores: the bare
 * relay, Kafka's own clients moving the same records (each caption answered by a record of the
 * labelled records' mean size, on a topic configured as labeled-images) with no work done; and
 * Kafka's produce + consume of the captions alone through one topic of as many partitions. Every row
 * times from the first send to the last record read, the consumer running during the produce. Every
 * kind of row comes after warm-up rounds of its own (JIT, tag cache, consumer group joined), 90 s by
 * default ({@code --warm-up SECONDS}); then {@code --rounds} rounds (3) of the three, the goals on
 * the medians (see {@link #measure}).
 *
 * <p>With {@code --pin A/B} this JVM (the broker and the load generator: Kafka alone, the records
 * produced and read back) runs on CPUs A, the label-service process and the bare relay's thread
 * on CPUs B: the service then competes with the broker for no core, as on a cluster, and Kafka
 * alone is measured on the broker's cores only, where the service's records go through too.
 */
final class LabelKafkaBenchmark {
    private static final String RELAY_TOPIC = "bench-relay";
    private static final String BARE_IN = "bench-bare-in";
    private static final String BARE_OUT = "bench-bare-out";
    private static final String LOAD_GENERATOR = "load-generator";
    /** The timed rows' key prefix (image ids "img-0", "img-1", ...); warm-up rounds have their own. */
    private static final String TIMED_PREFIX = "img";
    /** One named thread for every row's send loop, so that its CPU can be told from the broker's. */
    private static final ExecutorService LOAD_GENERATOR_THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, LOAD_GENERATOR);
        t.setDaemon(true);
        return t;
    });

    private LabelKafkaBenchmark() {}

    static void run(List<String> captions, int records, int warmUpSeconds, int rounds, List<String> serviceJvm,
            CpuPinning.Split pin, Path outDir, BenchReport report) throws Exception {
        Path jar = Path.of("label-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (./mvnw -DskipTests install)");
        }
        byte[][] values = new byte[records][];
        long bytes = 0;
        for (int i = 0; i < records; i++) {
            values[i] = CaptionRecord.newBuilder().setImageId(TIMED_PREFIX + "-" + i).setImageUri("images/bench/img-" + i + ".png")
                    .setCaption(captions.get(i % captions.size())).build().toByteArray();
            bytes += values[i].length;
        }
        double meanBytes = bytes / (double) records;
        // every row after a warm-up of its own: rounds of min(N, 100,000) records for at least
        // warmUpSeconds (JIT, connections, consumer groups joined; a service runs for days, its first
        // seconds are not what it sustains: with one round of 100,000 records, the label-service's C2
        // compiler still took 40 % of a core through the timed run; after 30 s, 0.8-1.7 us a record of
        // its 7-10, after 90 s 0.5-1.0, after 120 s 0.3 in one run; the broker's JVM 0.4-0.6, 0.1-0.2, 0.26)
        int warmUp = Math.min(records, 100_000);
        String pinned = "";
        if (pin != null) {
            CpuPinning.pinProcess(ProcessHandle.current().pid(), pin.devstack());
            pinned = ", " + pin;
            System.out.println("pinned: " + pin);
        }
        try (DevStack stack = DevStack.fresh(outDir.resolve("label-devstack")).start()) {
            String bootstrap = stack.kafkaBootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                // the bare relay's output topic configured as labeled-images (compacted, no compaction
                // of young records): the broker validates and stores it as it does the service's output
                Map<String, String> labeledConfig = DevStack.TOPICS.stream()
                        .filter(t -> t.name().equals(DevStack.TOPIC_LABELED_IMAGES)).findFirst().orElseThrow().configs();
                admin.createTopics(List.of(new NewTopic(RELAY_TOPIC, 3, (short) 1), new NewTopic(BARE_IN, 3, (short) 1),
                        new NewTopic(BARE_OUT, 3, (short) 1).configs(labeledConfig))).all().get(30, TimeUnit.SECONDS);
            }
            // Kafka alone: the same records produced to a topic and consumed from it; the bare relay: the
            // least any consume -> produce service costs here, each record answered by one of the size of
            // the service's output on another topic by a plain Kafka client loop with label-service's
            // settings (no framework, no labelling), input offsets committed after the output is
            // acknowledged: the broker's and the reader's work is the pipeline's, the service's is nil
            String what = String.format(java.util.Locale.ROOT, "%,d records of %.0f B", records, meanBytes) + pinned;
            int port = ServiceProcess.freePort();
            List<String> jvm = serviceJvm;
            if (pin != null) {
                jvm = new ArrayList<>(serviceJvm);
                jvm.add(CpuPinning.activeProcessorCount(pin.service()));
            }
            Process service = ServiceProcess.start(jar, jvm, stack.environment(), port, outDir.resolve("label-service.log"),
                    Duration.ofMinutes(3));
            try {
                if (pin != null) {
                    CpuPinning.pinProcess(service.pid(), pin.service());
                }
                warmUp(warmUpSeconds, round -> relay(bootstrap, RELAY_TOPIC, round, values, warmUp).seconds());
                double[] outputBytes = new double[1];
                warmUp(warmUpSeconds, round -> {
                    Timed row = pipeline(bootstrap, round, values, warmUp);
                    // a warm-up record's image id has the round's prefix where a timed one has TIMED_PREFIX
                    outputBytes[0] = row.meanValueBytes() - (round.length() - TIMED_PREFIX.length());
                    return row.seconds();
                });
                int relayBytes = (int) Math.round(outputBytes[0]);
                try (BareRelay bare = new BareRelay(bootstrap, pin == null ? null : pin.service(), relayBytes)) {
                    warmUp(warmUpSeconds, round -> timed(bootstrap, BARE_IN, BARE_OUT, round, values, warmUp).seconds());
                    // the service has been idle through the relay's warm-up: one more round, so that its first
                    // timed row does not start cold (its first row was still the slowest of three in the one
                    // run measured since, BENCHMARKS.md: the order of warm-ups is not why)
                    pipeline(bootstrap, "rewarm", values, warmUp);
                    report.result(row("measurement", "labeled-images record, mean value size (the bare relay writes as many)",
                            "value", relayBytes, "unit", "bytes"));
                    measure(bootstrap, values, records, rounds, what, service, report);
                }
            } finally {
                service.destroy();
                if (!service.waitFor(30, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            }
        }
    }

    /**
     * Rounds of: bare relay, label-service, Kafka alone, after a first Kafka-alone row. Kafka alone moves
     * by up to 2x within one run on a shared machine (pinned: 160,000-308,000 records/s), so each
     * label-service row is compared with the faster of the Kafka-alone rows just before and after it,
     * and with the faster of the bare relay rows before it and after it (the next round's; the last
     * round has only the one before): the harder test. The goals take the medians over the rounds.
     */
    private static void measure(String bootstrap, byte[][] values, int records, int rounds, String what, Process service,
            BenchReport report) throws Exception {
        double[] kafka = new double[rounds + 1];
        double[] bare = new double[rounds];
        double[] label = new double[rounds];
        double[] ratios = new double[rounds];
        double[] toBare = new double[rounds];
        double[] bareToKafka = new double[rounds];
        double cpuWallSeconds = 0; // the label-service rows' wall time, reader set-up included (inside the CPU readings)
        ProcessCpu serviceCpu = new ProcessCpu(service.toHandle(), LabelKafkaBenchmark::threadGroup, null);
        // this JVM's (broker, log cleaner, load generator) in both kinds of rows; its producers' network
        // threads end with their row
        String ended = "threads that ended in the row (producers' network threads), and rounding";
        ProcessCpu benchForKafka = new ProcessCpu(ProcessHandle.current(), LabelKafkaBenchmark::benchThreadGroup, ended);
        ProcessCpu benchForLabel = new ProcessCpu(ProcessHandle.current(), LabelKafkaBenchmark::benchThreadGroup, ended);
        // which core was the full one during each kind of row (with --pin: the broker's or the service's)
        CpuBusy kafkaCores = new CpuBusy();
        CpuBusy bareCores = new CpuBusy();
        CpuBusy labelCores = new CpuBusy();
        Round kafkaAlone = prefix -> {
            benchForKafka.start();
            kafkaCores.start();
            double seconds = relay(bootstrap, RELAY_TOPIC, prefix, values, records).seconds();
            kafkaCores.stop();
            benchForKafka.stop();
            return seconds;
        };
        kafka[0] = kafkaAlone.run(TIMED_PREFIX);
        for (int r = 0; r < rounds; r++) {
            bareCores.start();
            bare[r] = timed(bootstrap, BARE_IN, BARE_OUT, TIMED_PREFIX, values, records).seconds();
            bareCores.stop();
            benchForLabel.start();
            serviceCpu.start();
            labelCores.start();
            long wall0 = System.nanoTime();
            label[r] = pipeline(bootstrap, TIMED_PREFIX, values, records).seconds();
            cpuWallSeconds += (System.nanoTime() - wall0) / 1e9;
            labelCores.stop();
            serviceCpu.stop();
            benchForLabel.stop();
            kafka[r + 1] = kafkaAlone.run(TIMED_PREFIX);
            ratios[r] = Math.min(kafka[r], kafka[r + 1]) / label[r];
            bareToKafka[r] = Math.min(kafka[r], kafka[r + 1]) / bare[r];
        }
        for (int r = 0; r < rounds; r++) {
            toBare[r] = Math.min(bare[r], r + 1 < rounds ? bare[r + 1] : bare[r]) / label[r];
        }
        for (int r = 0; r <= rounds; r++) {
            report.result(row("measurement", "Kafka produce + consume, " + what + ", row " + (r + 1) + " of " + (rounds + 1),
                    "value", records / kafka[r], "unit", "records/s"));
        }
        for (int r = 0; r < rounds; r++) {
            String round = ", round " + (r + 1);
            report.result(row("measurement", "bare relay (consume -> produce of labelled-size records, no work), " + what + round, "value",
                    records / bare[r], "unit", "records/s"));
            report.result(row("measurement", "bare relay / the faster Kafka-alone row beside it" + round, "value",
                    bareToKafka[r], "unit", "ratio"));
            report.result(row("measurement", "captions -> label-service -> labeled-images, " + what + round, "value",
                    records / label[r], "unit", "records/s"));
            report.result(row("measurement", "label-service / the faster Kafka-alone row beside it" + round, "value", ratios[r],
                    "unit", "ratio"));
        }
        double labelled = (double) records * rounds;
        if (serviceCpu.totalKnown && benchForLabel.totalKnown) {
            report.result(row("measurement", "label-service CPU per record (all its threads), timed runs", "value",
                    serviceCpu.total / labelled * 1e6, "unit", "us"));
            report.result(row("measurement", "label-service cores used, timed runs", "value",
                    serviceCpu.total / cpuWallSeconds, "unit", "cores"));
            // near the count of its CPUs: the broker's side, not the service, sets the pace
            report.result(row("measurement", "benchmark JVM (broker, load generator) cores used, label-service's timed runs",
                    "value", benchForLabel.total / cpuWallSeconds, "unit", "cores"));
        }
        reportCores(report, "Kafka-alone rows", kafkaCores);
        reportCores(report, "bare relay rows", bareCores);
        reportCores(report, "label-service rows", labelCores);
        serviceCpu.seconds.forEach((group, seconds) -> report.result(
                row("measurement", "label-service CPU per record, " + group, "value", seconds / labelled * 1e6, "unit", "us")));
        double kafkaRecords = (double) records * (rounds + 1);
        benchForKafka.seconds.forEach((group, seconds) -> report.result(row("measurement",
                "benchmark JVM CPU per record, " + group + ", Kafka-alone rows", "value", seconds / kafkaRecords * 1e6,
                "unit", "us")));
        benchForLabel.seconds.forEach((group, seconds) -> report.result(row("measurement",
                "benchmark JVM CPU per record, " + group + ", label-service rows", "value", seconds / labelled * 1e6,
                "unit", "us")));
        // what a service that does no work at all reaches against the captions alone: a reference for
        // any consume -> produce service with this output and these delivery settings on these cores
        report.result(row("measurement", "bare relay / Kafka produce+consume of the captions alone, median of " + rounds
                + " rounds", "value", DevStackBenchmark.median(Arrays.stream(bareToKafka).boxed().toList()), "unit", "ratio"));
        // The goal against Kafka's own produce + consume of the pipeline's record sizes (captions in,
        // labelled records out: the bare relay), and against the captions alone through one topic,
        // which the goal was read as until 2026-11-28 and which a relay doing no work does not reach
        // on a machine where the broker's cores are the full ones (BENCHMARKS.md, label)
        report.goal(BenchReport.Goal.atLeast("Kafka -> label -> Kafka / Kafka moving the same records, no work (bare relay), "
                + "median of " + rounds + " rounds", DevStackBenchmark.median(Arrays.stream(toBare).boxed().toList()), 0.5));
        report.goal(BenchReport.Goal.atLeast("Kafka -> label -> Kafka / Kafka produce+consume of the captions alone, median of "
                + rounds + " rounds", DevStackBenchmark.median(Arrays.stream(ratios).boxed().toList()), 0.5));
    }

    private static void reportCores(BenchReport report, String rows, CpuBusy cores) {
        for (int cpu : cores.cpus()) {
            report.result(row("measurement", "CPU " + cpu + " busy (steal included), " + rows, "value", cores.busy(cpu), "unit",
                    "of the CPU"));
            report.result(row("measurement", "CPU " + cpu + " steal (taken by the host), " + rows, "value", cores.steal(cpu),
                    "unit", "of the CPU"));
        }
    }

    /**
     * A process's CPU seconds over the rows between {@link #start} and {@link #stop}: all its threads as the
     * kernel counts them ({@link #total}), and by thread group ({@link #seconds}).
     */
    private static final class ProcessCpu {
        final Map<String, Double> seconds = new TreeMap<>();
        double total;
        boolean totalKnown = true;
        private final ProcessHandle process;
        private final Function<String, String> group;
        private final String endedGroup;
        private ThreadCpu.OtherProcess threads;
        private Optional<Duration> startTotal;

        /** @param endedGroup the group of what the live threads at {@link #stop} do not account for (null: none) */
        ProcessCpu(ProcessHandle process, Function<String, String> group, String endedGroup) {
            this.process = process;
            this.group = group;
            this.endedGroup = endedGroup;
        }

        void start() {
            threads = new ThreadCpu.OtherProcess(process.pid());
            startTotal = process.info().totalCpuDuration();
        }

        void stop() {
            Optional<Duration> stopTotal = process.info().totalCpuDuration();
            Map<String, Double> groups = new ThreadCpu.OtherProcess(process.pid()).secondsSince(threads, group);
            groups.forEach((g, s) -> seconds.merge(g, s, Double::sum));
            if (startTotal.isEmpty() || stopTotal.isEmpty()) {
                totalKnown = false;
                return;
            }
            double row = stopTotal.get().minus(startTotal.get()).toNanos() / 1e9;
            total += row;
            if (endedGroup != null) { // unclamped: the threads' 10 ms ticks round down, so this carries that rounding
                seconds.merge(endedGroup, row - groups.values().stream().mapToDouble(Double::doubleValue).sum(), Double::sum);
            }
        }
    }

    /** What a thread of this JVM does during the timed rows, by its name (15 characters of it). */
    private static String benchThreadGroup(String name) {
        if (name.startsWith("data-plane-kafk")) {
            return "broker request handlers and network threads";
        }
        if (name.startsWith("kafka-log-clean")) {
            return "broker log cleaner (compaction)";
        }
        if (name.startsWith(LOAD_GENERATOR)) {
            return "load generator's send loop";
        }
        if (name.startsWith("kafka-producer-")) { // the load generator's while it lives, the bare relay's (idle here)
            return "producers' network threads still alive";
        }
        if (name.equals("java")) { // the main thread keeps the launcher's name
            return "reader (consumer poll)";
        }
        return switch (ThreadCpu.Part.of(name)) {
            case JIT -> "JIT compiler";
            case GC -> "GC and safepoints";
            default -> "other threads (broker, S3 server, bare relay, JVM)";
        };
    }

    /** What a thread of label-service does, by its name (the kernel keeps 15 characters of it). */
    private static String threadGroup(String name) {
        if (name.startsWith("executor-thread")) {
            return "worker threads (parse, label, serialize, send)";
        }
        if (name.startsWith("kafka-") || name.startsWith("smallrye-kafka")) {
            return "Kafka client threads";
        }
        if (name.startsWith("vert.x-eventloo")) {
            return "event loop (acknowledgements, commits)";
        }
        return switch (ThreadCpu.Part.of(name)) { // the JVM's own threads named as the trainer benchmark names them
            case JIT -> "JIT compiler";
            case GC -> "GC and safepoints";
            default -> "other threads";
        };
    }

    private interface Round {
        double run(String prefix) throws Exception;
    }

    /** Warm-up rounds, each with its own key prefix, until {@code seconds} have passed (at least one round). */
    private static void warmUp(int seconds, Round round) throws Exception {
        long t0 = System.nanoTime();
        int i = 0;
        do {
            round.run("warm" + i++);
        } while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(seconds));
    }

    /** Seconds from the first send until the last record was read, and the read records' mean value size. */
    private record Timed(double seconds, double meanValueBytes) {}

    /** Seconds from the first send to {@code topic} until {@code n} records with the prefix were read back from it. */
    private static Timed relay(String bootstrap, String topic, String prefix, byte[][] values, int n) throws Exception {
        return timed(bootstrap, topic, topic, prefix, values, n);
    }

    /** Seconds from the first send to {@code captions} until {@code n} labelled records were read back. */
    private static Timed pipeline(String bootstrap, String prefix, byte[][] values, int n) throws Exception {
        return timed(bootstrap, DevStack.TOPIC_CAPTIONS, DevStack.TOPIC_LABELED_IMAGES, prefix, values, n);
    }

    private static Timed timed(String bootstrap, String in, String out, String prefix, byte[][] values, int n)
            throws Exception {
        Properties c = new Properties();
        c.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(out).stream().map(i -> new TopicPartition(out, i.partition()))
                    .toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position); // resolve the end offsets before anything is sent
            long t0 = System.nanoTime();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> produce(bootstrap, in, prefix, values, n),
                    LOAD_GENERATOR_THREAD);
            Set<String> seen = new HashSet<>(n * 2);
            long valueBytes = 0;
            boolean checkType = out.equals(DevStack.TOPIC_LABELED_IMAGES);
            while (seen.size() < n) {
                if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException("only " + seen.size() + " of " + n + " records came back from " + out);
                }
                if (sent.isCompletedExceptionally()) {
                    sent.join();
                }
                boolean checked = !checkType;
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.key().startsWith(prefix + "-")) {
                        // one record a poll parsed: parsing each would cost the broker's cores ~1 us a
                        // record that Kafka alone does not pay
                        if (!checked && !LabeledImage.parseFrom(r.value()).getImageId().equals(r.key())) {
                            throw new IllegalStateException("not the LabeledImage of key " + r.key());
                        }
                        checked = true;
                        if (seen.add(r.key())) {
                            valueBytes += r.value().length;
                        }
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            sent.join();
            return new Timed(seconds, valueBytes / (double) n);
        }
    }

    /** The producer settings a caption source would use: acks=all, idempotent, a little batching. */
    private static void produce(String bootstrap, String topic, String prefix, byte[][] values, int n) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                byte[] value = values[i];
                if (!prefix.equals(TIMED_PREFIX)) { // warm-up records get their own ids, so they never count as timed ones
                    value = CaptionRecord.newBuilder(CaptionRecord.parseFrom(value)).setImageId(prefix + "-" + i).build()
                            .toByteArray();
                }
                producer.send(new ProducerRecord<>(topic, prefix + "-" + i, value));
            }
            producer.flush();
        } catch (Exception e) {
            throw new IllegalStateException("producing to " + topic + " failed", e);
        }
    }

    /**
     * Answers each record of {@link #BARE_IN} with one of the labelled records' size on {@link #BARE_OUT}
     * (same key), on its own thread until closed, the way label-service moves records minus all its
     * work: its Kafka settings (application.properties),
     * the next poll sent while earlier ones' acknowledgements are in flight, offsets committed once
     * everything before them is acknowledged.
     */
    private static final class BareRelay implements AutoCloseable {
        private record Pending(List<Future<RecordMetadata>> sends, Map<TopicPartition, OffsetAndMetadata> offsets) {}

        private final Thread thread;
        private final CompletableFuture<Void> subscribed = new CompletableFuture<>();
        private volatile boolean running = true;
        private volatile Exception failure;

        /** @param cpus where its thread and the clients' threads run (null: anywhere) */
        BareRelay(String bootstrap, String cpus, int valueBytes) {
            Properties c = new Properties();
            c.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "bench-bare-relay");
            c.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            c.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.setProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
            c.setProperty(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1048576");
            c.setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "200");
            Properties p = new Properties();
            p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
            p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "50");
            p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, "524288");
            thread = new Thread(() -> {
                try {
                    if (cpus != null) {
                        CpuPinning.pinCurrentThread(cpus); // before the clients start their network threads
                    }
                    copy(c, p, new byte[valueBytes]);
                } catch (Exception e) {
                    failure = e;
                    subscribed.completeExceptionally(e);
                }
            }, "bare-relay");
            thread.start();
            try { // its clients start on its thread: a failure there is reported now, not as records missing later
                subscribed.get(2, TimeUnit.MINUTES);
            } catch (ExecutionException | TimeoutException e) {
                running = false;
                throw new IllegalStateException("the bare relay did not start", e.getCause() == null ? e : e.getCause());
            } catch (InterruptedException e) {
                running = false;
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the bare relay started", e);
            }
        }

        /** Answers records until closed; {@link #subscribed} completes once its clients are up. */
        private void copy(Properties c, Properties p, byte[] value) throws Exception {
            Deque<Pending> pending = new ArrayDeque<>();
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    new ByteArrayDeserializer());
                    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                            new ByteArraySerializer())) {
                consumer.subscribe(List.of(BARE_IN));
                subscribed.complete(null);
                while (running) {
                    ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(50));
                    if (!polled.isEmpty()) {
                        List<Future<RecordMetadata>> sends = new ArrayList<>(polled.count());
                        for (ConsumerRecord<String, byte[]> r : polled) {
                            sends.add(producer.send(new ProducerRecord<>(BARE_OUT, r.key(), value)));
                        }
                        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                        for (TopicPartition tp : polled.partitions()) {
                            List<ConsumerRecord<String, byte[]>> rs = polled.records(tp);
                            offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1));
                        }
                        pending.add(new Pending(sends, offsets));
                    }
                    Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
                    while (!pending.isEmpty() && pending.peek().sends().stream().allMatch(Future::isDone)) {
                        for (Future<RecordMetadata> f : pending.peek().sends()) {
                            f.get(); // throws if a send failed
                        }
                        done.putAll(pending.poll().offsets());
                    }
                    if (!done.isEmpty()) {
                        consumer.commitAsync(done, null);
                    }
                }
            }
        }

        @Override
        public void close() throws Exception {
            running = false;
            thread.join(30_000);
            if (failure != null) {
                throw new IllegalStateException("the bare relay failed", failure);
            }
        }
    }
}
