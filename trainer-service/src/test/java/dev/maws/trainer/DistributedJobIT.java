package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;

import ai.djl.ndarray.NDManager;
import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.ServiceProcess;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.model.checkpoint.Checkpoint;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.proto.v1.ListCheckpointsRequest;
import dev.maws.proto.v1.Stage;
import dev.maws.proto.v1.StartJobRequest;
import dev.maws.proto.v1.TrainerServiceGrpc;
import dev.maws.trainer.job.ModelConfigs;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * Jobs of two processes on the packaged trainer (rank 0) and a worker process it starts, joined on
 * loopback through c10d (Gloo, CPU): the same MAE and WSP jobs as one process trains, step for step
 * within float rounding; a worker killed with SIGKILL mid-job makes the gang start again from the
 * last checkpoint and end as the uninterrupted run did; and a worker started with a bad launch
 * environment says what is wrong and exits, within a bounded time.
 */
class DistributedJobIT {
    private static final String TOKEN = "distributed-it-token";
    /** The fixture's usable images only (an undecodable one would be met by one process, not the other). */
    private static final String TOPIC = "labeled-images-usable";
    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    static DevStack stack;
    static ObjectStore store;
    static Process trainer;
    static ManagedChannel channel;
    static TrainerServiceGrpc.TrainerServiceBlockingStub grpc;

    @BeforeAll
    static void start() throws Exception {
        stack = DevStack.fresh(Path.of("target/devstack-distributed-it")).start();
        store = new ObjectStore(stack.s3Endpoint(), "us-east-1", stack.s3AccessKey(), stack.s3SecretKey(), DevStack.BUCKET);
        TrainingFixture.write(store, new VocabularyStore(store), stack.kafkaBootstrapServers());
        FashionMnist train = FashionMnist.fixture("train");
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < TrainingFixture.IMAGES; i++) {
            String id = "fmnist-train-" + i;
            records.add(Map.entry(id, LabeledImage.newBuilder().setImageId(id).setImageUri("images/fmnist/train/" + i + ".png")
                    .addSynsets(FashionMnist.CLASS_SYNSETS.get(train.label(i))).build().toByteArray()));
            if (i % 50 == 7) { // records that give no image are counted by every process and taken by none
                records.add(Map.entry("no-label-" + i, LabeledImage.newBuilder().setImageId("no-label-" + i)
                        .setImageUri("images/fmnist/train/" + i + ".png").build().toByteArray()));
            }
        }
        DevStackClients.createTopics(stack.kafkaBootstrapServers(), 3, TOPIC);
        DevStackClients.produceAll(stack.kafkaBootstrapServers(), TOPIC, records);
        int port = ServiceProcess.freePort();
        Map<String, String> env = new HashMap<>(stack.environment());
        env.put("MAWS_TRAINER_API_TOKEN", TOKEN);
        env.put("MAWS_TRAINER_TOPIC", TOPIC);
        env.put("MAWS_TRAINER_PROGRESS_INTERVAL", "1s");
        env.put("MAWS_DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
        trainer = ServiceProcess.start(JAR, List.of("-Xmx1g"), env, port, Path.of("target/distributed-it-trainer.log"),
                Duration.ofMinutes(3));
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        grpc = TrainerServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (trainer != null) {
            trainer.destroy();
            trainer.waitFor(30, TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void maeOfTwoProcessesIsMaeOfOneAndAKilledWorkerRestartsTheGangFromItsCheckpoint() throws Exception {
        JobSpec spec = TrainingJobsTest.mae(4).setCheckpointEverySteps(5).setSeed(31).build();
        Job one = run(spec.toBuilder().setProcesses(1).build());
        Job two = run(spec.toBuilder().setProcesses(2).build());
        assertSameJob(one, two, "MAE");
        JsonNode manifest = new ObjectMapper().readTree(store.get("checkpoints/" + two.getId() + "/step-" + two.getStep()
                + "/manifest.json"));
        assertEquals(2, manifest.at("/data/positions").size(), "every process's data position: " + manifest.get("data"));

        String id = grpc.startJob(StartJobRequest.newBuilder().setSpec(spec.toBuilder().setProcesses(2)).build()).getId();
        awaitCheckpoint(id);
        ProcessHandle worker = trainer.descendants().filter(p -> p.info().arguments().map(
                a -> List.of(a).contains("-Dmaws.trainer.worker.job=" + id)).orElse(false)).findFirst()
                .orElseThrow(() -> new AssertionError("no worker process of " + id + " under the trainer"));
        worker.destroyForcibly(); // SIGKILL: no last words
        Job resumed = TrainingFixture.await(grpc, id);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, resumed.getState(), resumed.getError());
        assertTrue(Files.readString(Path.of("target/distributed-it-trainer.log"), StandardCharsets.UTF_8)
                .contains(id + ": worker rank 1 (pid " + worker.pid() + ") ended with exit code"), "the restart names the lost worker");
        assertSameLosses(TrainingFixture.losses(store, two.getId()), TrainingFixture.losses(store, id), 1e-6, "resumed");
    }

    @Test
    void wspOfTwoProcessesIsWspOfOne() throws Exception {
        JobSpec spec = JobSpec.newBuilder().setStage(Stage.STAGE_WSP).setModel(TrainingFixture.MODEL)
                .setVocabularyVersion(TrainingFixture.VOCABULARY).setEpochs(3).setBatchSize(32).setBaseLr(0.01)
                .setWeightDecay(0.05).setLabelSmoothing(0.1).setSeed(12).build();
        assertSameJob(run(spec), run(spec.toBuilder().setProcesses(2).build()), "WSP");
    }

    @Test
    void aWorkerWithABadLaunchEnvironmentSaysWhatIsWrongAndExits() throws Exception {
        String spec = JsonFormat.printer().print(TrainingJobsTest.mae(1).setProcesses(2));
        int unused = ServiceProcess.freePort();
        Map<String, Map<String, String>> cases = Map.of(
                "the master address is missing", Map.of("WORLD_SIZE", "2", "RANK", "1"),
                "the rank must be in [0, world size 2)", Map.of("MASTER_ADDR", "127.0.0.1", "WORLD_SIZE", "2", "RANK", "2"),
                "127.0.0.1:" + unused, Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", String.valueOf(unused), "WORLD_SIZE", "2",
                        "RANK", "1", "MAWS_TRAINER_GANG_JOIN_TIMEOUT", "5s"));
        for (Map.Entry<String, Map<String, String>> c : cases.entrySet()) {
            Path log = Path.of("target/distributed-it-worker-" + Math.abs(c.getKey().hashCode()) + ".log");
            Map<String, String> env = new HashMap<>(stack.environment());
            env.put("MAWS_TRAINER_API_TOKEN", TOKEN);
            env.put("MAWS_DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
            env.put("MAWS_TRAINER_WORKER_JOB", "mae-bad-launch");
            env.put("MAWS_TRAINER_WORKER_SPEC", spec);
            env.putAll(c.getValue());
            Process p = ServiceProcess.launch(JAR, List.of("-Xmx512m"), env, 0, log);
            assertTrue(p.waitFor(3, TimeUnit.MINUTES), "a worker with a bad launch environment still runs after 3 minutes");
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(p.exitValue() != 0, "exit code " + p.exitValue() + ":\n" + out);
            assertTrue(out.contains(c.getKey()), "\"" + c.getKey() + "\" in:\n" + out);
        }
    }

    private static Job run(JobSpec spec) throws InterruptedException {
        Job job = TrainingFixture.await(grpc, grpc.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, job.getState(), job.getError());
        return job;
    }

    private static void awaitCheckpoint(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (grpc.listCheckpoints(ListCheckpointsRequest.newBuilder().setJobId(id).build()).getCheckpointsCount() == 0) {
            assertTrue(System.nanoTime() < deadline, "no checkpoint of " + id + " in 3 minutes");
            Thread.sleep(20);
        }
    }

    /** Same steps, losses and final parameters, within float rounding. */
    private static void assertSameJob(Job one, Job two, String what) throws Exception {
        assertEquals(one.getTotalSteps(), two.getTotalSteps(), what);
        assertTrue(one.getTotalSteps() >= 15, what + ": " + one.getTotalSteps() + " steps");
        assertSameLosses(TrainingFixture.losses(store, one.getId()), TrainingFixture.losses(store, two.getId()), 1e-4, what);
        float[] a = parameters(one);
        float[] b = parameters(two);
        assertEquals(a.length, b.length);
        double maxDiff = 0;
        double maxAbs = 0;
        double diff2 = 0;
        double norm2 = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
            diff2 += (double) (a[i] - b[i]) * (a[i] - b[i]);
            norm2 += (double) a[i] * a[i];
        }
        // AdamW divides each gradient by its own running scale: where a gradient is near 0, the rounding of
        // another summation order can move that parameter by up to about lr a step, so the largest difference
        // is bounded looser than the norm of all of them
        String measured = String.format("%s, %d steps: parameters of 2 processes vs 1 differ by %.3g of the largest at most,"
                + " %.3g in norm", what, one.getTotalSteps(), maxDiff / maxAbs, Math.sqrt(diff2 / norm2));
        System.out.println(measured);
        assertTrue(maxDiff <= 1e-3 * maxAbs && Math.sqrt(diff2 / norm2) <= 1e-4, measured);
    }

    private static void assertSameLosses(List<Double> a, List<Double> b, double relative, String what) {
        assertEquals(a.size(), b.size(), what + ": steps");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i), b.get(i), relative * Math.abs(a.get(i)), what + ": loss at step " + (i + 1));
        }
    }

    /** The final checkpoint's parameters, flattened in order. */
    private static float[] parameters(Job job) throws IOException {
        VitConfig config = ModelConfigs.toVit(TrainingFixture.MODEL);
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 0)) {
            if (job.getSpec().getStage() == Stage.STAGE_MAE) {
                new MaskedAutoencoder(p, config, true);
            } else {
                new WspClassifier(p, config, 10);
            }
            Checkpoint.load(new CheckpointCatalog(store).files(job.getId(), job.getStep()), p, null);
            List<Float> all = new ArrayList<>();
            for (Parameters.Parameter param : p.all()) {
                for (float v : param.array().toFloatArray()) {
                    all.add(v);
                }
            }
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = all.get(i);
            }
            return out;
        }
    }
}
