package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.devstack.DevStack;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.GetJobRequest;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.ListCheckpointsRequest;
import dev.maws.proto.v1.StartJobRequest;
import dev.maws.proto.v1.TrainerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * The packaged trainer killed with SIGKILL while a job runs, then started again: the job resumes
 * from its last complete checkpoint by itself and ends with the same losses, step for step, as a
 * run that was never interrupted.
 */
class TrainerKillIT {
    private static final String TOKEN = "kill-test-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    static DevStack stack;
    static ObjectStore store;

    @BeforeAll
    static void startStack() throws IOException {
        Path dir = Path.of("target/devstack-kill-it");
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        stack = new DevStack(dir).start();
        store = new ObjectStore(stack.s3Endpoint(), "us-east-1", stack.s3AccessKey(), stack.s3SecretKey(), DevStack.BUCKET);
        TrainingFixture.write(store, new VocabularyStore(store), stack.kafkaBootstrapServers());
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aKilledTrainerResumesItsJobAndEndsLikeAnUninterruptedRun() throws Exception {
        JobSpec spec = TrainingJobsTest.mae(8).setCheckpointEverySteps(5).setSeed(21).build();
        int port = freePort();
        Process trainer = startTrainer(port, 1);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            TrainerServiceGrpc.TrainerServiceBlockingStub grpc = stub(channel);
            Job straight = await(grpc, grpc.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId());
            assertEquals(JobState.JOB_STATE_SUCCEEDED, straight.getState(), straight.getError());

            String id = grpc.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (grpc.listCheckpoints(ListCheckpointsRequest.newBuilder().setJobId(id).build()).getCheckpointsCount() == 0) {
                assertTrue(System.nanoTime() < deadline, "no checkpoint of " + id + " in 3 minutes");
                Thread.sleep(20);
            }
            trainer.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no last words
            Job atKill = jobInStore(id);
            assertEquals(JobState.JOB_STATE_RUNNING, atKill.getState(), "killed while running: " + atKill);
            assertTrue(atKill.getStep() < straight.getTotalSteps(), atKill.toString());

            trainer = startTrainer(port, 2);
            Job resumed = await(grpc, id);
            assertEquals(JobState.JOB_STATE_SUCCEEDED, resumed.getState(), resumed.getError());
            assertEquals(straight.getTotalSteps(), resumed.getStep());
            List<Double> a = losses(straight.getId());
            List<Double> b = losses(id);
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i), b.get(i), 1e-5 * Math.abs(a.get(i)), "loss at step " + (i + 1));
            }
        } finally {
            channel.shutdownNow();
            trainer.destroy();
            trainer.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Process startTrainer(int port, int run) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-jar", "target/quarkus-app/quarkus-run.jar");
        pb.environment().putAll(stack.environment());
        pb.environment().put("QUARKUS_HTTP_PORT", String.valueOf(port));
        pb.environment().put("MAWS_TRAINER_API_TOKEN", TOKEN);
        pb.environment().put("MAWS_TRAINER_PROGRESS_INTERVAL", "1s");
        pb.environment().put("MAWS_DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
        pb.redirectErrorStream(true).redirectOutput(Path.of("target/kill-it-trainer-" + run + ".log").toFile());
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), "the trainer exited; see target/kill-it-trainer-" + run + ".log");
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port + "/q/health/ready").toURL()
                        .openConnection();
                if (c.getResponseCode() == 200) {
                    return p;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the trainer was not ready in 3 minutes");
    }

    private static TrainerServiceGrpc.TrainerServiceBlockingStub stub(ManagedChannel channel) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        return TrainerServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    }

    private static Job await(TrainerServiceGrpc.TrainerServiceBlockingStub grpc, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            try {
                Job job = grpc.getJob(GetJobRequest.newBuilder().setId(id).build());
                if (job.getState() != JobState.JOB_STATE_QUEUED && job.getState() != JobState.JOB_STATE_RUNNING) {
                    return job;
                }
            } catch (io.grpc.StatusRuntimeException e) {
                // restarting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " did not end in 5 minutes");
    }

    private static Job jobInStore(String id) throws Exception {
        Job.Builder b = Job.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().merge(new String(store.get("jobs/" + id + ".json"),
                StandardCharsets.UTF_8), b);
        return b.build();
    }

    private static List<Double> losses(String job) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String key : store.list("checkpoints/" + job + "/metrics/")) {
            for (String line : new String(store.get(key), StandardCharsets.UTF_8).split("\n")) {
                JsonNode n = JSON.readTree(line);
                assertEquals(losses.size() + 1, n.get("step").asLong(), "steps in order without gaps or repeats");
                losses.add(n.get("loss").asDouble());
            }
        }
        return losses;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
