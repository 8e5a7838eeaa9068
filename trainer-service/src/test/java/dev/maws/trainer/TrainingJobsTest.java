package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.devstack.DevStackResource;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.AugmentationConfig;
import dev.maws.proto.v1.CancelJobRequest;
import dev.maws.proto.v1.CheckpointInfo;
import dev.maws.proto.v1.GetJobRequest;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobEvent;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.ListCheckpointsRequest;
import dev.maws.proto.v1.ResumeJobRequest;
import dev.maws.proto.v1.Stage;
import dev.maws.proto.v1.StartJobRequest;
import dev.maws.proto.v1.TrainerServiceGrpc;
import dev.maws.proto.v1.WatchJobRequest;
import dev.maws.trainer.data.Augmentation;
import dev.maws.trainer.data.BatchPipeline;
import dev.maws.trainer.data.DataException;
import dev.maws.trainer.data.ImageSource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/** MAE then WSP jobs on the devstack Kafka + S3 with the Fashion-MNIST fixture, over gRPC. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class TrainingJobsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ObjectStore store;

    @Inject
    VocabularyStore vocabularies;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    ManagedChannel channel;
    TrainerServiceGrpc.TrainerServiceBlockingStub trainer;

    @BeforeEach
    void connect() {
        TrainingFixture.write(store, vocabularies, bootstrapServers);
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer test-token");
        trainer = TrainerServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static JobSpec.Builder mae(double epochs) {
        return JobSpec.newBuilder().setStage(Stage.STAGE_MAE).setModel(TrainingFixture.MODEL).setEpochs(epochs)
                .setBatchSize(32).setBaseLr(0.02).setWeightDecay(0.05).setWarmupEpochs(0.5).setSeed(7)
                .setAugmentation(AugmentationConfig.newBuilder().setRandomResizedCrop(true).setHorizontalFlip(true));
    }

    @Test
    void maeThenWspFromItBothLearn() throws Exception {
        Job mae = run(mae(6).setCheckpointEverySteps(10).setDisplayName("fixture MAE").build());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, mae.getState(), mae.getError());
        // 192 good images + 4 records to skip = 196 records per epoch, batches of 32 -> floor(6 * 196 / 32)
        assertEquals(36, mae.getTotalSteps());
        assertEquals(36, mae.getStep());
        assertEquals(mae.getId() + "/step-36", mae.getLastCheckpoint());
        assertEquals("cpu()", mae.getDevice());
        List<Double> maeLoss = TrainingFixture.losses(store, mae.getId());
        assertEquals(36, maeLoss.size(), "one metrics line per step");
        assertFalls(maeLoss, 0.85, "MAE");

        List<CheckpointInfo> checkpoints = trainer.listCheckpoints(
                ListCheckpointsRequest.newBuilder().setJobId(mae.getId()).build()).getCheckpointsList();
        assertEquals(List.of(10L, 20L, 30L, 36L), checkpoints.stream().map(CheckpointInfo::getStep).toList());
        assertEquals("MAE", checkpoints.get(3).getStage());
        assertEquals(maeLoss.get(35), checkpoints.get(3).getMetricsOrThrow("loss"), 1e-6);

        JsonNode counters = JSON.readTree(store.get("checkpoints/" + mae.getId() + "/step-36/manifest.json"))
                .at("/data/position/counters");
        assertTrue(counters.get("badImages").asLong() >= 6, "the missing and the corrupt image, each epoch: " + counters);
        assertTrue(counters.get("badRecords").asLong() >= 6, "the undecodable record, each epoch: " + counters);
        assertEquals(36 * 32, counters.get("images").asLong());

        // MAE continued from MAE copies the decoder as well: another decoder is refused up front
        JobSpec otherDecoder = mae(1).setInitFrom(mae.getId() + "/latest")
                .setModel(TrainingFixture.MODEL.toBuilder().setDecoderWidth(32)).build();
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(otherDecoder).build()));
        assertTrue(refused.getStatus().getDescription().contains("has a different decoder (width 16, depth 1, heads 2) than "
                + "the job's model (width 32, depth 1, heads 2)"), refused.getStatus().getDescription());

        JobSpec wspSpec = JobSpec.newBuilder().setStage(Stage.STAGE_WSP).setInitFrom(mae.getId() + "/latest")
                .setVocabularyVersion(TrainingFixture.VOCABULARY).setEpochs(4).setBatchSize(32).setBaseLr(0.01)
                .setWeightDecay(0.05).setLabelSmoothing(0.1).setSeed(11).setCheckpointEverySteps(0).build();
        Job started = trainer.startJob(StartJobRequest.newBuilder().setSpec(wspSpec).build());
        assertEquals(TrainingFixture.MODEL, started.getSpec().getModel(), "the model comes from the MAE checkpoint");
        assertEquals(mae.getId() + "/step-36", started.getSpec().getInitFrom(), "latest is pinned when the job is accepted");
        List<JobEvent> events = new ArrayList<>();
        Iterator<JobEvent> stream = TrainerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES)
                .watchJob(WatchJobRequest.newBuilder().setId(started.getId()).build());
        stream.forEachRemaining(events::add);
        Job wsp = events.get(events.size() - 1).getJob();
        assertEquals(JobState.JOB_STATE_SUCCEEDED, wsp.getState(), wsp.getError());
        assertTrue(events.stream().anyMatch(e -> e.getKind().equals("checkpoint")), "a checkpoint event was streamed");
        assertEquals(List.of(24L), trainer.listCheckpoints(ListCheckpointsRequest.newBuilder().setJobId(wsp.getId()).build())
                .getCheckpointsList().stream().map(CheckpointInfo::getStep).toList(), "0 = a checkpoint only at the end");
        assertFalls(TrainingFixture.losses(store, wsp.getId()), 0.8, "WSP");
        JsonNode wspManifest = JSON.readTree(store.get("checkpoints/" + wsp.getId() + "/step-24/manifest.json"));
        assertEquals(TrainingFixture.VOCABULARY, wspManifest.get("vocabularyVersion").asText());
        assertEquals(10, wspManifest.get("vocabularySize").asInt());
        assertTrue(wspManifest.at("/data/position/counters/unlabelled").asLong() >= 4, wspManifest.toString());

        String metrics = RestAssured.get("/q/metrics").asString();
        assertTrue(metrics.contains("maws_trainer_loss "), "loss gauge exported");
        assertTrue(metrics.contains("maws_trainer_skipped_records_total{reason=\"unlabelled\"}"), "skip counter exported");
    }

    @Test
    void aRunStoppedAnywhereAndResumedEndsLikeAnUninterruptedOne() throws Exception {
        JobSpec spec = mae(8).setCheckpointEverySteps(5).setSeed(3).build();
        Job straight = run(spec);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, straight.getState(), straight.getError());

        Job second = trainer.startJob(StartJobRequest.newBuilder().setSpec(spec).build());
        Iterator<JobEvent> events = TrainerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES)
                .watchJob(WatchJobRequest.newBuilder().setId(second.getId()).build());
        while (events.hasNext()) {
            if (events.next().getKind().equals("checkpoint")) {
                trainer.cancelJob(CancelJobRequest.newBuilder().setId(second.getId()).build());
                break;
            }
        }
        Job stopped = TrainingFixture.await(trainer, second.getId());
        assertEquals(JobState.JOB_STATE_CANCELLED, stopped.getState(), "stopped before its end: " + stopped);
        assertTrue(stopped.getStep() < straight.getTotalSteps(), stopped.toString());

        trainer.resumeJob(ResumeJobRequest.newBuilder().setId(second.getId()).build());
        Job resumed = TrainingFixture.await(trainer, second.getId());
        assertEquals(JobState.JOB_STATE_SUCCEEDED, resumed.getState(), resumed.getError());
        assertEquals(straight.getTotalSteps(), resumed.getStep());
        List<Double> a = TrainingFixture.losses(store, straight.getId());
        List<Double> b = TrainingFixture.losses(store, second.getId());
        assertEquals(a.size(), b.size(), "every step once in the metrics of both");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i), b.get(i), 1e-5 * Math.abs(a.get(i)), "loss at step " + (i + 1));
        }
    }

    @Test
    void aJobLeftRunningByAStoppedTrainerCanBeCancelledOrResumed() throws Exception {
        // this profile does not queue such jobs at start (maws.trainer.resume-on-start=false): write two as a
        // killed trainer leaves them, RUNNING in S3 and run by no one
        String[] ids = {"mae-20000101000000-0000aa01", "mae-20000101000000-0000aa02"};
        for (String id : ids) {
            Job left = Job.newBuilder().setId(id).setSpec(mae(0.2).setWarmupEpochs(0).setSeed(5)).setState(JobState.JOB_STATE_RUNNING)
                    .setCreatedAt("2000-01-01T00:00:00Z").build();
            store.put("jobs/" + id + ".json", com.google.protobuf.util.JsonFormat.printer().print(left)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        }
        Job cancelled = trainer.cancelJob(CancelJobRequest.newBuilder().setId(ids[0]).build());
        assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState(), "not a request nobody would ever honour");
        assertEquals(JobState.JOB_STATE_QUEUED, trainer.resumeJob(ResumeJobRequest.newBuilder().setId(ids[1]).build())
                .getState());
        Job resumed = TrainingFixture.await(trainer, ids[1]);
        assertEquals(JobState.JOB_STATE_SUCCEEDED, resumed.getState(), resumed.getError());
    }

    @Test
    void aJobOfSeveralProcessesNeedsThePackagedTrainerToStartItsWorkers() throws Exception {
        // DistributedJobIT runs such jobs on the packaged trainer; here (test mode) there is no jar to start
        Job failed = run(mae(1).setProcesses(2).build());
        assertEquals(JobState.JOB_STATE_FAILED, failed.getState());
        assertTrue(failed.getError().contains("starts its workers from the packaged trainer"), failed.getError());
    }

    @Test
    void aDataPathWithTooManyBadImagesStopsWithTheReason() throws Exception {
        // the fixture has 2 bad images in 196 records; a 0.5 % limit after 10 images trips at the first
        BatchPipeline.Settings settings = new BatchPipeline.Settings(bootstrapServers, "labeled-images", "bad-fraction-test",
                8, 28, 1, Augmentation.NONE, 1, 2, 2, 16, 0.005, 10, true, BatchPipeline.Partition.WHOLE, true, 4, 1 << 20, 0.1);
        DataException e;
        try (BatchPipeline pipeline = new BatchPipeline(settings, new ImageSource(store, 1 << 20, 1 << 20),
                new ImageDecoder(1_000_000), null, null).begin()) {
            e = assertThrows(DataException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    pipeline.next(() -> false);
                }
            });
        }
        assertTrue(e.getMessage().contains("could not be used, more than maws.trainer.data.max-bad-image-fraction=0.005; last: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("no-such-image.png") || e.getMessage().contains("not a PNG, JPEG or WebP"), e.getMessage());
    }

    @Test
    void badSpecsAreRefusedWithEveryProblem() {
        JobSpec bad = JobSpec.newBuilder().setStage(Stage.STAGE_WSP).setPreset("vit-q/3").setEpochs(-1).setBatchSize(0)
                .setMaskRatio(2).setDevice("tpu").setInitFrom("../etc/latest").build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(bad).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        String message = e.getStatus().getDescription();
        for (String expected : new String[] {"init_from: checkpoint reference must be", "preset: unknown model preset \"vit-q/3\"",
                "vocabulary_version is required for WSP", "epochs must be in (0,", "batch_size must be in [1,",
                "device must be \"cpu\", \"gpu\" or \"gpu:N\""}) {
            assertTrue(message.contains(expected), "\"" + expected + "\" in: " + message);
        }

        for (int batch : new int[] {16_384, 4_096}) { // 9.9 GB in one array; 2.4 GB a batch, several held
            JobSpec huge = mae(1).setPreset("vit-b/16").clearModel().setBatchSize(batch).build();
            e = assertThrows(StatusRuntimeException.class, () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(huge).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains(batch > 10_000 ? "more than one batch array can hold"
                    : "more than half the trainer's heap"), e.getStatus().getDescription());
        }

        JobSpec uneven = mae(1).setProcesses(3).build(); // 32 images a step
        e = assertThrows(StatusRuntimeException.class, () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(uneven).build()));
        assertTrue(e.getStatus().getDescription().contains("batch_size 32 is not a multiple of processes 3"),
                e.getStatus().getDescription());
        JobSpec tooMany = mae(1).setProcesses(65).build();
        e = assertThrows(StatusRuntimeException.class, () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(tooMany).build()));
        assertTrue(e.getStatus().getDescription().contains("processes must be in [1, 64] (maws.trainer.limits.max-processes"),
                e.getStatus().getDescription());
        JobSpec oneGpu = mae(1).setProcesses(2).setDevice("gpu:1").build();
        e = assertThrows(StatusRuntimeException.class, () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(oneGpu).build()));
        assertTrue(e.getStatus().getDescription().contains("names one GPU, but the job's 2 processes take one GPU each"),
                e.getStatus().getDescription());

        JobSpec unknownVocabulary = JobSpec.newBuilder().setStage(Stage.STAGE_WSP).setPreset("tiny-28")
                .setVocabularyVersion("no-such-vocabulary").setEpochs(1).setBatchSize(8).build();
        e = assertThrows(StatusRuntimeException.class,
                () -> trainer.startJob(StartJobRequest.newBuilder().setSpec(unknownVocabulary).build()));
        assertTrue(e.getStatus().getDescription().contains("vocabulary_version no-such-vocabulary does not exist"),
                e.getStatus().getDescription());

        TrainerServiceGrpc.TrainerServiceBlockingStub anonymous = TrainerServiceGrpc.newBlockingStub(channel);
        e = assertThrows(StatusRuntimeException.class,
                () -> anonymous.startJob(StartJobRequest.newBuilder().setSpec(mae(1)).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> trainer.getJob(GetJobRequest.newBuilder().setId("mae-20000101000000-00000000").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> trainer.listCheckpoints(
                dev.maws.proto.v1.ListCheckpointsRequest.newBuilder().setJobId("mae-20000101000000-00000000").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "no such job, rather than no checkpoints yet");
        e = assertThrows(StatusRuntimeException.class, () -> trainer.getJob(GetJobRequest.newBuilder().setId("../x").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void restMirrorsGrpc() {
        String problems = RestAssured.given().header("Authorization", "Bearer test-token").contentType("application/json")
                .body("{\"stage\":\"STAGE_MAE\",\"preset\":\"tiny-28\",\"epochs\":0,\"batchSize\":-4}")
                .post("/v1/jobs").then().statusCode(400).extract().asString();
        assertTrue(problems.contains("\"problems\":[\"epochs must be in (0, "), problems);
        assertTrue(problems.contains("batch_size must be in [1, 65536]"), problems);
        RestAssured.given().header("Authorization", "Bearer test-token").contentType("application/json").body("{\"stage\": 7x}")
                .post("/v1/jobs").then().statusCode(400);
        RestAssured.given().contentType("application/json").body("{}").post("/v1/jobs").then().statusCode(401);
        RestAssured.given().header("Authorization", "Bearer wrong").post("/v1/jobs/mae-1/cancel").then().statusCode(401);
        RestAssured.get("/v1/jobs/mae-20000101000000-00000000").then().statusCode(404);
        RestAssured.get("/v1/jobs/mae-20000101000000-00000000/checkpoints").then().statusCode(404);
        RestAssured.get("/v1/jobs?state=sleeping").then().statusCode(400);
        RestAssured.get("/v1/jobs?state=unspecified").then().statusCode(400);

        String created = RestAssured.given().header("Authorization", "Bearer test-token").contentType("application/json")
                .body("{\"stage\":\"STAGE_MAE\",\"model\":" + json(TrainingFixture.MODEL)
                        // warm-up = epochs; 0.5 x 196 records / 28 = 3.5: 3 steps, and the warm-up must not round to 4
                        + ",\"epochs\":0.5,\"warmupEpochs\":0.5,\"batchSize\":28,\"seed\":\"5\",\"displayName\":\"rest\"}")
                .post("/v1/jobs").then().statusCode(201).extract().asString();
        String id = created.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        // the stream ends when the job does; its last event is the final state
        String events = RestAssured.given().accept("text/event-stream").get("/v1/jobs/" + id + "/events").then()
                .statusCode(200).extract().asString();
        assertTrue(events.contains("\"state\":\"JOB_STATE_SUCCEEDED\""), events);
        String listed = RestAssured.get("/v1/jobs?state=succeeded").then().statusCode(200).extract().asString();
        assertTrue(listed.contains(id), listed);
        String checkpoints = RestAssured.get("/v1/jobs/" + id + "/checkpoints").then().statusCode(200).extract().asString();
        assertTrue(checkpoints.contains("\"reference\":\"" + id + "/step-3\""), checkpoints);
        RestAssured.given().header("Authorization", "Bearer test-token").post("/v1/jobs/" + id + "/cancel").then()
                .statusCode(409);
    }

    private Job run(JobSpec spec) throws InterruptedException {
        return TrainingFixture.await(trainer, trainer.startJob(StartJobRequest.newBuilder().setSpec(spec).build()).getId());
    }

    private static void assertFalls(List<Double> losses, double ratio, String what) {
        double first = losses.subList(0, 3).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        int n = losses.size();
        double last = losses.subList(n - 3, n).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertFalse(Double.isNaN(last), what + " loss is NaN");
        assertTrue(last < ratio * first, what + " loss fell from " + first + " to " + last + ", not below " + ratio
                + " of the start: " + losses);
    }

    private static String json(com.google.protobuf.Message m) {
        try {
            return com.google.protobuf.util.JsonFormat.printer().print(m);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
