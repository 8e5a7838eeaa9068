package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;


import dev.maws.devstack.DevStack;
import dev.maws.devstack.ServiceProcess;
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
 * The packaged trainer killed with SIGKILL while a job runs, started again, then stopped with SIGTERM
 * and started again: each time the job resumes from its last complete checkpoint by itself and ends
 * with the same losses, step for step, as a run that was never interrupted.
 */
class TrainerKillIT {
    private static final String TOKEN = "kill-test-token";

    static DevStack stack;
    static ObjectStore store;

    @BeforeAll
    static void startStack() throws IOException {
        Path dir = Path.of("target/devstack-kill-it");
        stack = DevStack.fresh(dir).start();
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
    void aKilledOrStoppedTrainerResumesItsJobAndEndsLikeAnUninterruptedRun() throws Exception {
        JobSpec spec = TrainingJobsTest.mae(8).setCheckpointEverySteps(5).setSeed(21).build();
        int port = ServiceProcess.freePort();
        Process trainer = startTrainer(port, 1);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            TrainerServiceGrpc.TrainerServiceBlockingStub grpc = stub(channel);
            Job straight = TrainingFixture.await(grpc, grpc.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId());
            assertEquals(JobState.JOB_STATE_SUCCEEDED, straight.getState(), straight.getError());

            String id = grpc.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId();
            awaitCheckpoints(grpc, id, 1);
            trainer.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no last words
            Job atKill = jobInStore(id);
            assertEquals(JobState.JOB_STATE_RUNNING, atKill.getState(), "killed while running: " + atKill);
            assertTrue(atKill.getStep() < straight.getTotalSteps(), atKill.toString());

            trainer = startTrainer(port, 2);
            awaitCheckpoints(grpc, id, 2);
            trainer.destroy(); // SIGTERM, as a rollout or node drain sends: the job stops before its next step
            assertTrue(trainer.waitFor(90, TimeUnit.SECONDS), "the trainer did not stop within 90 s of SIGTERM");
            Job atStop = jobInStore(id);
            assertEquals(JobState.JOB_STATE_INTERRUPTED, atStop.getState(), "stopped while running: " + atStop);
            assertTrue(atStop.getStep() < straight.getTotalSteps(), atStop.toString());

            // a rollout that changed the shuffle meanwhile: the job goes on reading the order it began with
            trainer = startTrainer(port, 3, Map.of("MAWS_TRAINER_DATA_SHUFFLE_BUFFER", "1"));
            Job resumed = TrainingFixture.await(grpc, id);
            assertEquals(JobState.JOB_STATE_SUCCEEDED, resumed.getState(), resumed.getError());
            assertEquals(straight.getTotalSteps(), resumed.getStep());
            List<Double> a = TrainingFixture.losses(store, straight.getId());
            List<Double> b = TrainingFixture.losses(store, id);
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

    @Test
    void aJobThatKeepsGettingTheTrainerKilledFailsInsteadOfResumingForever() throws Exception {
        // no checkpoint until the end: every kill below finds the job where the previous one left it
        JobSpec spec = TrainingJobsTest.mae(100).setCheckpointEverySteps(0).setSeed(22).build();
        int port = ServiceProcess.freePort();
        Map<String, String> limit = Map.of("MAWS_TRAINER_MAX_CRASH_RESTARTS", "1");
        Process trainer = startTrainer(port, 11, limit);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            TrainerServiceGrpc.TrainerServiceBlockingStub grpc = stub(channel);
            String id = grpc.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId();
            for (int kill = 1; kill <= 2; kill++) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                Job seen;
                while ((seen = jobInStore(id)).getState() != JobState.JOB_STATE_RUNNING) {
                    assertTrue(System.nanoTime() < deadline, "not running again in 3 minutes: " + seen);
                    Thread.sleep(20);
                }
                trainer.destroyForcibly().waitFor();
                trainer = startTrainer(port, 11 + kill, limit);
                if (kill == 1) {
                    assertEquals(1, jobInStore(id).getCrashRestarts(), "queued again once");
                }
            }
            Job failed = TrainingFixture.await(grpc, id);
            assertEquals(JobState.JOB_STATE_FAILED, failed.getState());
            assertEquals(2, failed.getCrashRestarts());
            assertTrue(failed.getError().contains("killed 2 times while running this job without a new checkpoint")
                    && failed.getError().contains("maws.trainer.max-crash-restarts=1"), failed.getError());
        } finally {
            channel.shutdownNow();
            trainer.destroy();
            trainer.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void awaitCheckpoints(TrainerServiceGrpc.TrainerServiceBlockingStub grpc, String id, int count)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (grpc.listCheckpoints(ListCheckpointsRequest.newBuilder().setJobId(id).build()).getCheckpointsCount() < count) {
            assertTrue(System.nanoTime() < deadline, "not " + count + " checkpoints of " + id + " in 3 minutes");
            Thread.sleep(20);
        }
    }

    private static Process startTrainer(int port, int run) throws Exception {
        return startTrainer(port, run, Map.of());
    }

    private static Process startTrainer(int port, int run, Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(stack.environment());
        env.putAll(settings);
        env.put("MAWS_TRAINER_API_TOKEN", TOKEN);
        env.put("MAWS_TRAINER_PROGRESS_INTERVAL", "1s");
        env.put("MAWS_DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
        return ServiceProcess.start(Path.of("target/quarkus-app/quarkus-run.jar"), env, port,
                Path.of("target/kill-it-trainer-" + run + ".log"), Duration.ofMinutes(3));
    }

    private static TrainerServiceGrpc.TrainerServiceBlockingStub stub(ManagedChannel channel) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        return TrainerServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    }

    private static Job jobInStore(String id) throws Exception {
        Job.Builder b = Job.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().merge(new String(store.get("jobs/" + id + ".json"),
                StandardCharsets.UTF_8), b);
        return b.build();
    }

}
