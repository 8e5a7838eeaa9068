package dev.maws.inference;

import static dev.maws.inference.TestModels.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.devstack.DevStackResource;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.inference.evaluation.Evaluations;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.Evaluation;
import dev.maws.proto.v1.GetEvaluationRequest;
import dev.maws.proto.v1.InferenceServiceGrpc;
import dev.maws.proto.v1.StartEvaluationRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * Evaluations of checkpoints on the committed Fashion-MNIST fixture (500 train, 100 test images)
 * written to the devstack S3 as a dataset; zero-shot class names go through the packaged
 * label-service.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "service.label-service",
        value = "../label-service/target/quarkus-app/quarkus-run.jar"))
class EvaluationTest {
    static final String DATASET = "fm-fixture";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ObjectStore store;

    @Inject
    VocabularyStore vocabularies;

    @Inject
    DatasetStore datasets;

    ManagedChannel channel;
    InferenceServiceGrpc.InferenceServiceBlockingStub grpc;
    String wsp;
    String mae;

    @BeforeEach
    void setUp() throws Exception {
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        grpc = InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        TestModels.putVocabulary(vocabularies);
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        wsp = "eval-wsp-" + suffix;
        mae = "eval-mae-" + suffix;
        TestModels.checkpoint(store, wsp, 1, "WSP", 3);
        TestModels.checkpoint(store, mae, 1, "MAE", 3);
        importSplit("train", FashionMnist.fixture("train"));
        importSplit("test", FashionMnist.fixture("t10k"));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private void importSplit(String split, FashionMnist images) {
        if (datasets.find(DATASET, split, 1 << 20).isPresent()) {
            return;
        }
        List<Dataset.Example> examples = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            String key = Dataset.prefix(DATASET, split) + i + ".png";
            store.put(key, images.png(i), "image/png");
            examples.add(new Dataset.Example(key, images.label(i)));
        }
        datasets.put(new Dataset(DATASET, split, FashionMnist.CLASS_NAMES, examples));
    }

    private Evaluation await(Evaluation started) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Evaluation e = started;
        double progress = 0;
        while (!e.getState().equals("succeeded") && !e.getState().equals("failed") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            e = grpc.getEvaluation(GetEvaluationRequest.newBuilder().setId(started.getId()).build());
            assertTrue(e.getProgress() >= progress, "progress never goes back: " + progress + " -> " + e.getProgress());
            progress = e.getProgress();
        }
        return e;
    }

    @Test
    void evaluatesAWspCheckpointEveryWay() throws Exception {
        Evaluation started = grpc.startEvaluation(StartEvaluationRequest.newBuilder().setModel(wsp + "/latest")
                .setDataset(DATASET).setSplit("test").build());
        assertEquals("queued", started.getState());
        Evaluation done = await(started);
        assertEquals("succeeded", done.getState(), done.getError());
        assertEquals(1.0, done.getProgress(), 1e-9);
        JsonNode r = JSON.readTree(done.getReportJson());
        assertEquals(wsp + "/step-1", r.get("model").asText(), "latest pinned to the step it meant");
        assertEquals("WSP", r.get("stage").asText());
        assertEquals(100, r.get("examples").asInt());
        assertEquals(500, r.get("train_examples").asInt());

        JsonNode zs = r.get("zero_shot");
        assertEquals(10, zs.get("resolutions").size());
        for (JsonNode res : zs.get("resolutions")) {
            assertEquals(1, res.get("synsets").size(), "every Fashion-MNIST name resolves into the vocabulary: " + res);
        }
        checkScores(zs, 100);

        JsonNode linear = r.get("linear_probe");
        checkScores(linear, 100);
        assertEquals("pooled (mean)", linear.get("features").asText());
        assertEquals(TestModels.MODEL.width(), linear.get("feature_dim").asInt());
        // even a freshly initialised encoder's features carry the image: a probe beats chance (0.1) by far
        assertTrue(linear.get("top1").asDouble() > 0.3, "linear probe top-1 " + linear.get("top1"));

        JsonNode fewShot = r.get("few_shot");
        for (String k : List.of("1", "5", "10")) {
            JsonNode f = fewShot.get(k);
            assertEquals(3, f.get("top1_per_seed").size(), k + "-shot: default three seeds");
            double mean = 0;
            for (JsonNode x : f.get("top1_per_seed")) {
                mean += x.asDouble() / 3;
            }
            assertEquals(mean, f.get("mean").asDouble(), 1e-9);
            assertTrue(f.get("std").asDouble() >= 0);
        }
        assertTrue(fewShot.get("10").get("mean").asDouble() > 0.15, "10-shot " + fewShot.get("10"));

        // the report is stored, and read back from S3 once out of memory
        assertEquals(done.getReportJson(), new String(store.get(Evaluations.reportKey(done.getId()))));

        // the same request again: features and seeded probes repeat exactly
        JsonNode again = JSON.readTree(await(grpc.startEvaluation(StartEvaluationRequest.newBuilder()
                .setModel(wsp + "/step-1").setDataset(DATASET).setLinearProbe(true).build())).getReportJson());
        assertEquals(linear.get("top1").asDouble(), again.get("linear_probe").get("top1").asDouble());
        assertNull(again.get("zero_shot").textValue(), "only what was asked runs");
        assertTrue(again.get("zero_shot").isNull() && again.get("few_shot").isNull(), again.toString());
    }

    /** Top-1 agrees with the confusion matrix, which counts every example once. */
    private static void checkScores(JsonNode s, int examples) {
        JsonNode confusion = s.get("confusion");
        int total = 0;
        int diagonal = 0;
        for (int c = 0; c < confusion.size(); c++) {
            int row = 0;
            for (int p = 0; p < confusion.size(); p++) {
                row += confusion.get(c).get(p).asInt();
            }
            total += row;
            diagonal += confusion.get(c).get(c).asInt();
            JsonNode recall = s.get("per_class_recall").get(c);
            if (row > 0) {
                assertEquals(confusion.get(c).get(c).asInt() / (double) row, recall.asDouble(), 1e-9);
            } else {
                assertTrue(recall.isNull());
            }
        }
        assertEquals(examples, total);
        assertEquals(diagonal / (double) examples, s.get("top1").asDouble(), 1e-9);
        assertTrue(s.get("top5").asDouble() >= s.get("top1").asDouble());
    }

    @Test
    void aLinearProbeOnTheLastBlocksLeavesTheFewShotProbesOnThePooledFeature() throws Exception {
        StartEvaluationRequest probes = StartEvaluationRequest.newBuilder().setModel(wsp + "/step-1").setDataset(DATASET)
                .setLinearProbe(true).setFewShot(true).addFewShotK(5).setFewShotSeeds(2).build();
        // one block: two would exceed the test profile's max-probe-feature-bytes (badRequestsSayWhatToFix)
        Evaluation done = await(grpc.startEvaluation(probes.toBuilder().setProbeBlocks(1).build()));
        assertEquals("succeeded", done.getState(), done.getError());
        JsonNode multi = JSON.readTree(done.getReportJson());
        JsonNode linear = multi.get("linear_probe");
        checkScores(linear, 100);
        assertEquals("cls and mean tokens of the last 1 block", linear.get("features").asText());
        assertEquals(2 * TestModels.MODEL.width(), linear.get("feature_dim").asInt());
        assertTrue(linear.get("top1").asDouble() > 0.3, linear.toString());

        // the few-shot probes took the model's pooled feature out of the same rows
        JsonNode pooled = JSON.readTree(await(grpc.startEvaluation(probes)).getReportJson());
        assertEquals(pooled.get("few_shot").get("5").get("top1_per_seed"), multi.get("few_shot").get("5").get("top1_per_seed"));
        assertEquals(TestModels.MODEL.width(), pooled.get("linear_probe").get("feature_dim").asInt());
        // and the multi-block report carries the pooled probe beside it: the same probe as a plain evaluation's
        assertEquals(pooled.get("linear_probe").get("top1").asDouble(), linear.get("pooled").get("top1").asDouble());
        assertTrue(pooled.get("linear_probe").get("pooled").isNull());
    }

    @Test
    void anMaeCheckpointGetsProbesOnly() throws Exception {
        Evaluation done = await(grpc.startEvaluation(StartEvaluationRequest.newBuilder().setModel(mae + "/step-1")
                .setDataset(DATASET).addFewShotK(2).setFewShotSeeds(2).setFewShot(true).build()));
        assertEquals("succeeded", done.getState(), done.getError());
        JsonNode r = JSON.readTree(done.getReportJson());
        assertTrue(r.get("zero_shot").isNull() && r.get("linear_probe").isNull());
        assertEquals(2, r.get("few_shot").get("2").get("top1_per_seed").size());

        JsonNode all = JSON.readTree(await(grpc.startEvaluation(StartEvaluationRequest.newBuilder().setModel(mae + "/step-1")
                .setDataset(DATASET).addFewShotK(1).setFewShotSeeds(1).build())).getReportJson());
        assertTrue(all.get("zero_shot").isNull());
        assertTrue(all.get("notes").get(0).asText().contains("zero-shot skipped"), all.get("notes").toString());
        assertTrue(all.get("linear_probe").get("top1").asDouble() > 0.3, all.get("linear_probe").toString());
    }

    @Test
    void badRequestsSayWhatToFix() throws Exception {
        StartEvaluationRequest ok = StartEvaluationRequest.newBuilder().setModel(wsp + "/step-1").setDataset(DATASET).build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "dataset must be", () -> grpc.startEvaluation(ok.toBuilder()
                .setDataset("../vocab").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "few_shot_k", () -> grpc.startEvaluation(ok.toBuilder()
                .addFewShotK(0).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "few_shot_seeds", () -> grpc.startEvaluation(ok.toBuilder()
                .setFewShotSeeds(21).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "must differ", () -> grpc.startEvaluation(ok.toBuilder()
                .setProbeTrainSplit("test").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "probe_blocks must be in [0, " + TestModels.MODEL.depth() + "]",
                () -> grpc.startEvaluation(ok.toBuilder().setProbeBlocks(TestModels.MODEL.depth() + 1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "take 384000 bytes, over maws.inference.evaluation.max-probe-feature-bytes"
                + "=300000: ask for fewer probe_blocks", () -> grpc.startEvaluation(ok.toBuilder().setProbeBlocks(2).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "probe_blocks must be >= 0", () -> grpc.startEvaluation(ok.toBuilder()
                .setProbeBlocks(-1).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "ask for linear_probe too", () -> grpc.startEvaluation(ok.toBuilder()
                .setProbeBlocks(1).setZeroShot(true).build()));
        // a split of other name made of training images: probes would be scored on what they were trained on
        List<Dataset.Example> carved = datasets.find(DATASET, "train", 1 << 20).orElseThrow().examples().subList(0, 5);
        datasets.put(new Dataset(DATASET, "carved", FashionMnist.CLASS_NAMES, carved));
        assertStatus(Status.Code.INVALID_ARGUMENT, "splits carved and train of " + DATASET + " share images ("
                + carved.get(0).key(), () -> grpc.startEvaluation(ok.toBuilder().setSplit("carved").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "share images", () -> grpc.startEvaluation(ok.toBuilder()
                .setSplit("carved").setFewShot(true).build()));
        // zero-shot trains nothing: any split will do, the training split included
        Evaluation onTrain = await(grpc.startEvaluation(ok.toBuilder().setSplit("train").setZeroShot(true).build()));
        assertEquals("succeeded", onTrain.getState(), onTrain.getError());
        assertStatus(Status.Code.INVALID_ARGUMENT, "needs a WSP checkpoint", () -> grpc.startEvaluation(ok.toBuilder()
                .setModel(mae + "/step-1").setZeroShot(true).build()));
        assertStatus(Status.Code.NOT_FOUND, "no dataset", () -> grpc.startEvaluation(ok.toBuilder()
                .setDataset("no-such-dataset").build()));
        assertStatus(Status.Code.NOT_FOUND, "", () -> grpc.startEvaluation(ok.toBuilder().setModel("no-such-job/step-1")
                .build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "evaluation id", () -> grpc.getEvaluation(GetEvaluationRequest
                .newBuilder().setId("../reports").build()));
        assertStatus(Status.Code.NOT_FOUND, "no evaluation", () -> grpc.getEvaluation(GetEvaluationRequest.newBuilder()
                .setId("eval-20000101-000000-000000").build()));

        RestAssured.given().contentType("application/json").body("{\"dataset\": 7}").post("/v1/evaluations").then()
                .statusCode(400);
        RestAssured.get("/v1/evaluations/eval-20000101-000000-000000").then().statusCode(404);
    }

    @Test
    void aMissingImageFailsTheEvaluationWithItsKeyAndRestWorks() throws Exception {
        datasets.put(new Dataset("fm-broken", "test", FashionMnist.CLASS_NAMES,
                List.of(new Dataset.Example("datasets/fm-broken/test/missing.png", 0))));
        String started = RestAssured.given().contentType("application/json").body("{\"model\":\"" + wsp + "/step-1\","
                + "\"dataset\":\"fm-broken\",\"zeroShot\":true}").post("/v1/evaluations").then().statusCode(202).extract()
                .path("id");
        Evaluation done = await(Evaluation.newBuilder().setId(started).setState("queued").build());
        assertEquals("failed", done.getState());
        assertTrue(done.getError().contains("datasets/fm-broken/test/missing.png"), done.getError());
        RestAssured.get("/v1/evaluations/" + started).then().statusCode(200);
    }
}
