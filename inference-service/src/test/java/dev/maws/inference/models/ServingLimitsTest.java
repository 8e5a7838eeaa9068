package dev.maws.inference.models;

import static dev.maws.inference.TestModels.assertStatus;
import static dev.maws.inference.TestModels.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;

import dev.maws.devstack.DevStackResource;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.inference.TestModels;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.oip.GRPCInferenceServiceGrpc;
import dev.maws.proto.oip.ModelInferRequest;
import dev.maws.proto.oip.ServerReadyRequest;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.EmbedResponse;
import dev.maws.proto.v1.Image;
import dev.maws.proto.v1.InferenceServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;

/**
 * The service with a default model that does not exist when it starts, and a queue of three: readiness
 * waits for the default model, and a full queue is refused at once on every transport.
 */
@QuarkusTest
@TestProfile(ServingLimitsTest.Limits.class)
// the same resources as the other tests of this module, so that one devstack serves them all
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "service.label-service",
        value = "../label-service/target/quarkus-app/quarkus-run.jar"))
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServingLimitsTest {
    static final int QUEUE = 3;
    static final int MAX_BATCH = 3;

    /** A job id of this JVM only: the devstack's data outlives test runs, and this job must not exist at start. */
    static String defaultJob() {
        return "default-model-" + ProcessHandle.current().pid() + "-"
                + ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli();
    }

    public static class Limits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("maws.inference.default-model", defaultJob() + "/latest",
                    "maws.inference.default-model-retry", "200ms",
                    "maws.inference.max-queued-requests", String.valueOf(QUEUE),
                    "maws.inference.max-batch-size", String.valueOf(MAX_BATCH));
        }
    }

    @Inject
    ModelRegistry models;

    @Inject
    ObjectStore store;

    @Inject
    VocabularyStore vocabularies;

    ManagedChannel channel;
    final FashionMnist images = FashionMnist.fixture("t10k");

    @BeforeEach
    void setUp() {
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    @Order(1)
    void readinessIsDownUntilTheDefaultModelIsWrittenAndLoaded() throws Exception {
        String down = RestAssured.get("/q/health/ready").then().statusCode(503).extract().asString();
        assertTrue(down.contains(defaultJob() + "/latest") && down.contains("no complete checkpoint"), down);
        RestAssured.get("/v2/health/ready").then().statusCode(503);
        assertFalse(GRPCInferenceServiceGrpc.newBlockingStub(channel).serverReady(ServerReadyRequest.getDefaultInstance())
                .getReady());
        RestAssured.get("/q/health/live").then().statusCode(200); // not ready is not dead: no restart loop

        // the trainer writes the checkpoint after the service started: a retry picks it up
        TestModels.putVocabulary(vocabularies);
        TestModels.checkpoint(store, defaultJob(), 1, "WSP", 1);
        awaitReady();
        String up = RestAssured.get("/q/health/ready").then().statusCode(200).extract().asString();
        assertTrue(up.contains(defaultJob() + "/step-1"), up);
        RestAssured.get("/v2/health/ready").then().statusCode(200);
        EmbedResponse r = InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .embed(EmbedRequest.newBuilder().addImages(png(0)).build());
        assertEquals(defaultJob() + "/step-1", r.getModel(), "a request without a model gets the default");
    }

    @Test
    @Order(2)
    void aFullQueueIsRefusedAtOnceAndTheQueuedRequestsStillComplete() throws Exception {
        defaultModelLoaded(); // run alone: the default model first, so that no retry takes a queue slot
        String model = defaultJob() + "/step-1";
        models.load(model);
        InferenceServiceGrpc.InferenceServiceFutureStub async = InferenceServiceGrpc.newFutureStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        EmbedRequest request = EmbedRequest.newBuilder().setModel(model).addImages(png(1)).build();
        EmbedResponse alone = async.embed(request).get();

        // hold the inference thread the way a slow model load would: nothing leaves the queue meanwhile
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> held = holdInferenceThread(release);
        try {
            List<ListenableFuture<EmbedResponse>> queued = new ArrayList<>();
            for (int i = 0; i < QUEUE; i++) {
                queued.add(async.embed(request));
            }
            await(() -> models.queued() == QUEUE, "the queue filled");

            // every refusal below comes back while the inference thread is still held: it waited for nothing
            String limit = "maws.inference.max-queued-requests=" + QUEUE;
            assertStatus(Status.Code.RESOURCE_EXHAUSTED, limit,
                    () -> InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).embed(request));
            String body = "{\"model\":\"" + model + "\",\"images\":[{\"data\":\""
                    + Base64.getEncoder().encodeToString(images.png(1)) + "\"}]}";
            RestAssured.given().contentType("application/json").body(body).post("/v1/embed").then().statusCode(429)
                    .body("error", org.hamcrest.Matchers.containsString(limit));
            String infer = "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\""
                    + Base64.getEncoder().encodeToString(images.png(1)) + "\"]}]}";
            RestAssured.given().contentType("application/json").body(infer).post("/v2/models/" + defaultJob() + "/infer")
                    .then().statusCode(429).body("error", org.hamcrest.Matchers.containsString(limit));
            assertStatus(Status.Code.RESOURCE_EXHAUSTED, limit, () -> GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(ModelInferRequest.newBuilder().setModelName(defaultJob())
                            .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES")
                                    .addShape(1).setContents(dev.maws.proto.oip.InferTensorContents.newBuilder()
                                            .addBytesContents(ByteString.copyFrom(images.png(1)))))
                            .build()));
            assertFalse(held.isDone(), "the inference thread is still held");
            assertEquals(QUEUE, models.queued(), "the refused requests took no slot");

            release.countDown();
            held.get(60, TimeUnit.SECONDS);
            for (ListenableFuture<EmbedResponse> f : queued) {
                assertArrayEquals(values(alone, 0), values(f.get(60, TimeUnit.SECONDS), 0), 1e-5f,
                        "a queued request is answered in full once the thread is free");
            }
        } finally {
            release.countDown();
        }
        assertArrayEquals(values(alone, 0), values(async.embed(request).get(60, TimeUnit.SECONDS), 0), 1e-5f,
                "the service goes on");
    }

    @Test
    @Order(3)
    void aRequestOfMoreImagesThanOnePassTakesIsAnsweredInSlices() throws Exception {
        defaultModelLoaded();
        String model = defaultJob() + "/step-1";
        InferenceServiceGrpc.InferenceServiceBlockingStub grpc = InferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        EmbedRequest.Builder eight = EmbedRequest.newBuilder().setModel(model); // max-images-per-request in tests
        for (int i = 0; i < 8; i++) {
            eight.addImages(png(i));
        }
        EmbedResponse all = grpc.embed(eight.build());
        assertEquals(8, all.getEmbeddingsCount());
        for (int i = 0; i < 8; i++) {
            EmbedResponse alone = grpc.embed(EmbedRequest.newBuilder().setModel(model).addImages(png(i)).build());
            assertArrayEquals(values(alone, 0), values(all, i), 1e-4f, "image " + i + " in its place");
        }
        String metrics = RestAssured.get("/q/metrics").asString();
        double largest = metrics.lines().filter(l -> l.startsWith("maws_inference_batch_size_max"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).max().orElse(-1);
        assertTrue(largest >= 1 && largest <= MAX_BATCH, "no pass over maws.inference.max-batch-size=" + MAX_BATCH
                + " images (largest " + largest + ")");
    }

    @Test
    @Order(4)
    void aRequestIsAdmittedWholeOrNotAtAll() throws Exception {
        defaultModelLoaded();
        String model = defaultJob() + "/step-1";
        models.load(model);
        InferenceServiceGrpc.InferenceServiceFutureStub async = InferenceServiceGrpc.newFutureStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        EmbedRequest one = EmbedRequest.newBuilder().setModel(model).addImages(png(1)).build();
        EmbedRequest.Builder eight = EmbedRequest.newBuilder().setModel(model); // three passes of MAX_BATCH
        for (int i = 0; i < 8; i++) {
            eight.addImages(png(i));
        }
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> held = holdInferenceThread(release);
        try {
            ListenableFuture<EmbedResponse> queued = async.embed(one);
            await(() -> models.queued() == 1, "one pass waits");
            // two places left, three passes needed: refused whole, none of its slices queued to run for nothing
            assertStatus(Status.Code.RESOURCE_EXHAUSTED, "maws.inference.max-queued-requests=" + QUEUE,
                    () -> InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                            .embed(eight.build()));
            assertEquals(1, models.queued());
            release.countDown();
            held.get(60, TimeUnit.SECONDS);
            assertEquals(1, queued.get(60, TimeUnit.SECONDS).getEmbeddingsCount());
        } finally {
            release.countDown();
        }
        assertEquals(8, InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .embed(eight.build()).getEmbeddingsCount(), "with room, the same request is answered");
        await(() -> models.queued() == 0, "nothing left waiting");
    }

    /** Occupies the inference thread until {@code release}; returns once it has taken the task. */
    private CompletableFuture<Void> holdInferenceThread(CountDownLatch release) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        CompletableFuture<Void> held = CompletableFuture.runAsync(() -> {
            try {
                models.call(() -> {
                    holding.countDown();
                    return release.await(60, TimeUnit.SECONDS);
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(holding.await(30, TimeUnit.SECONDS), "the inference thread took the holding task");
        return held;
    }

    /** The default model's checkpoint written and loaded (each test may run alone). */
    private void defaultModelLoaded() throws Exception {
        if (!ready()) {
            TestModels.putVocabulary(vocabularies);
            TestModels.checkpoint(store, defaultJob(), 1, "WSP", 1);
            awaitReady();
        }
    }

    private Image png(int i) {
        return TestModels.png(images, i);
    }

    private static boolean ready() {
        return RestAssured.get("/q/health/ready").statusCode() == 200;
    }

    private static void awaitReady() throws InterruptedException {
        await(ServingLimitsTest::ready, "readiness UP after the default checkpoint was written (retried every 200ms)");
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 60 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
