package dev.maws.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.maws.inference.TestModels.assertStatus;
import static dev.maws.inference.TestModels.values;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.maws.devstack.DevStackResource;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.platform.corpus.ShardWriter;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.oip.GRPCInferenceServiceGrpc;
import dev.maws.proto.oip.InferTensorContents;
import dev.maws.proto.oip.ModelInferRequest;
import dev.maws.proto.oip.ModelInferResponse;
import dev.maws.proto.oip.ModelMetadataRequest;
import dev.maws.proto.oip.ModelMetadataResponse;
import dev.maws.proto.oip.ModelReadyRequest;
import dev.maws.proto.oip.ServerLiveRequest;
import dev.maws.proto.oip.ServerReadyRequest;
import dev.maws.proto.v1.ClassifyRequest;
import dev.maws.proto.v1.Classification;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.EmbedResponse;
import dev.maws.proto.v1.Image;
import dev.maws.proto.v1.InferenceServiceGrpc;
import dev.maws.proto.v1.ListModelsRequest;
import dev.maws.proto.v1.Pooling;
import dev.maws.proto.v1.ScoredSynset;
import dev.maws.proto.v1.UnloadModelRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/** Embed, Classify and model management on checkpoints written by the model library to the devstack S3. */
@QuarkusTest
// label-service beside the devstack: ZeroShot resolves class names through it
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "service.label-service",
        value = "../label-service/target/quarkus-app/quarkus-run.jar"))
class InferenceTest {
    static final String VOCABULARY = TestModels.VOCABULARY;

    @Inject
    ObjectStore store;

    @Inject
    VocabularyStore vocabularies;

    @Inject
    ModelRegistry models;

    ManagedChannel channel;
    InferenceServiceGrpc.InferenceServiceBlockingStub grpc;
    String job;
    final FashionMnist images = FashionMnist.fixture("t10k");

    @BeforeEach
    void setUp() throws Exception {
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        grpc = InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        TestModels.putVocabulary(vocabularies);
        job = "wsp-test-" + UUID.randomUUID().toString().substring(0, 8);
        checkpoint(job, 1, "WSP", 1);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private void checkpoint(String id, long step, String stage, long seed) throws Exception {
        TestModels.checkpoint(store, id, step, stage, seed);
    }

    private Image png(int i) {
        return TestModels.png(images, i);
    }

    @Test
    void embedsBytesAndObjectsAlike() {
        store.put("images/inference-test/3.png", images.png(3), "image/png");
        EmbedResponse r = grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(3)).addImages(png(4))
                .addImages(Image.newBuilder().setUri("images/inference-test/3.png")).setNormalize(true).build());
        assertEquals(job + "/step-1", r.getModel());
        assertEquals(3, r.getEmbeddingsCount());
        float[] a = values(r, 0);
        assertEquals(32, a.length);
        assertEquals(1.0, norm(a), 1e-4, "normalised");
        assertArrayEquals(a, values(r, 2), 1e-6f, "the same image as bytes and as an S3 object");
        assertNotEquals(a[0], values(r, 1)[0], "different images, different features");

        EmbedResponse cls = grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(3))
                .setPooling(Pooling.POOLING_CLS).build());
        assertNotEquals(1.0, norm(values(cls, 0)), 1e-3, "not normalised unless asked");

        EmbedResponse padded = grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-001").addImages(png(3))
                .setNormalize(true).build());
        assertEquals(job + "/step-1", padded.getModel(), "step-001 is step-1: one model, under its canonical name");
        assertArrayEquals(a, values(padded, 0), 1e-6f);
    }

    @Test
    void embedsASampleOfAStoredShardByItsReference() throws Exception {
        String shardKey = ShardWriter.store(store, "inference-test", "shard-00000", List.of(
                new ShardWriter.Sample("a", "png", images.png(5), "a caption"),
                new ShardWriter.Sample("b", "png", images.png(3), "another")));
        EmbedResponse r = grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(3))
                .addImages(Image.newBuilder().setUri(shardKey + "#b")).setNormalize(true).build());
        assertArrayEquals(values(r, 0), values(r, 1), 1e-6f, "the same image as bytes and as a shard's sample");
        assertStatus(Status.Code.INVALID_ARGUMENT, "images[0]: image_uri \"" + shardKey + "#c\": no key c in the index",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1")
                        .addImages(Image.newBuilder().setUri(shardKey + "#c")).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "no shard index", () -> grpc.embed(EmbedRequest.newBuilder()
                .setModel(job + "/step-1").addImages(Image.newBuilder().setUri("shards/inference-test/none.tar#a")).build()));
    }

    @Test
    void encodedImagesOfOtherChannelCountsAreConvertedToTheModels() throws Exception {
        // the grayscale fixture image as RGB and as RGBA (R = G = B, opaque): the model sees the same gray pixels
        java.awt.image.BufferedImage gray = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(images.png(6)));
        List<Image> variants = new ArrayList<>(List.of(png(6)));
        for (int type : new int[] {java.awt.image.BufferedImage.TYPE_3BYTE_BGR, java.awt.image.BufferedImage.TYPE_4BYTE_ABGR}) {
            java.awt.image.BufferedImage colour = new java.awt.image.BufferedImage(gray.getWidth(), gray.getHeight(), type);
            for (int y = 0; y < gray.getHeight(); y++) {
                for (int x = 0; x < gray.getWidth(); x++) { // the raw samples: drawImage would apply a gamma to gray
                    int g = gray.getRaster().getSample(x, y, 0);
                    colour.setRGB(x, y, 0xff000000 | g << 16 | g << 8 | g);
                }
            }
            java.io.ByteArrayOutputStream encoded = new java.io.ByteArrayOutputStream();
            assertTrue(javax.imageio.ImageIO.write(colour, "png", encoded));
            assertEquals(type == java.awt.image.BufferedImage.TYPE_3BYTE_BGR ? 3 : 4, javax.imageio.ImageIO
                    .read(new java.io.ByteArrayInputStream(encoded.toByteArray())).getColorModel().getNumComponents());
            variants.add(Image.newBuilder().setData(ByteString.copyFrom(encoded.toByteArray())).build());
        }
        EmbedResponse r = grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addAllImages(variants).build());
        assertArrayEquals(values(r, 0), values(r, 1), 1e-5f, "RGB converted to the model's one channel");
        assertArrayEquals(values(r, 0), values(r, 2), 1e-5f, "RGBA converted to the model's one channel");
    }

    @Test
    void classifiesIntoTheVocabulary() {
        List<Classification> results = grpc.classify(ClassifyRequest.newBuilder().setModel(job + "/latest")
                .addImages(png(0)).addImages(png(1)).setTopK(3).build()).getResultsList();
        assertEquals(2, results.size());
        for (Classification c : results) {
            assertEquals(3, c.getSynsetsCount());
            float previous = 1;
            for (ScoredSynset s : c.getSynsetsList()) {
                assertTrue(s.getProbability() > 0 && s.getProbability() <= previous, c.toString());
                assertTrue(FashionMnist.CLASS_SYNSETS.contains(s.getSynset()), s.getSynset());
                assertEquals(FashionMnist.CLASS_HASHTAGS.get(FashionMnist.CLASS_SYNSETS.indexOf(s.getSynset())), s.getLemma());
                previous = s.getProbability();
            }
        }
        // all ten probabilities of one image sum to 1
        double sum = grpc.classify(ClassifyRequest.newBuilder().setModel(job + "/step-1").addImages(png(0)).setTopK(10).build())
                .getResults(0).getSynsetsList().stream().mapToDouble(ScoredSynset::getProbability).sum();
        assertEquals(1.0, sum, 1e-4);
    }

    @Test
    void latestSwitchesToANewerCheckpoint() throws Exception {
        assertEquals(job + "/step-1", grpc.embed(EmbedRequest.newBuilder().setModel(job + "/latest").addImages(png(0)).build())
                .getModel());
        checkpoint(job, 2, "WSP", 2);
        Thread.sleep(1200); // maws.inference.latest-refresh=1s in tests
        assertEquals(job + "/step-2", grpc.embed(EmbedRequest.newBuilder().setModel(job + "/latest").addImages(png(0)).build())
                .getModel());
        assertTrue(grpc.listModels(ListModelsRequest.getDefaultInstance()).getModelsList().size() <= 2,
                "at most maws.inference.max-loaded-models=2 in memory");
    }

    @Test
    void repeatedCallsLeaveNoTensorsBehind() throws Exception {
        EmbedRequest request = EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(0)).addImages(png(1))
                .setNormalize(true).build();
        grpc.embed(request);
        int before = models.liveArrays(job + "/step-1");
        for (int i = 0; i < 100; i++) {
            grpc.embed(request);
            grpc.classify(ClassifyRequest.newBuilder().setModel(job + "/step-1").addImages(png(2)).build());
        }
        assertEquals(before, models.liveArrays(job + "/step-1"));
    }

    @Test
    void concurrentRequestsShareForwardPassesAndGetTheirOwnResults() throws Exception {
        int n = 16;
        List<float[]> alone = new ArrayList<>();
        List<java.util.concurrent.Callable<float[]>> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EmbedRequest request = EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(i)).build();
            alone.add(values(grpc.embed(request), 0));
            requests.add(() -> values(grpc.embed(request), 0));
        }
        List<float[]> together = all(requests);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(alone.get(i), together.get(i), 1e-4f, "image " + i + " batched with others");
        }
        String metrics = RestAssured.get("/q/metrics").asString();
        double largest = metrics.lines().filter(l -> l.startsWith("maws_inference_batch_size_max"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).max().orElse(0);
        assertTrue(largest > 1, "16 simultaneous requests shared a forward pass (max batch " + largest + ")");
        assertTrue(metrics.contains("maws_inference_requests_seconds_count{method=\"embed\",outcome=\"ok\"}"), "request metrics");
    }

    @Test
    void modelsEvictedAndLoadedBetweenConcurrentPassesLeaveEveryAnswerIntact() throws Exception {
        // three checkpoints, two fit (maws.inference.max-loaded-models=2): requests for all three at once
        // keep loading one and evicting another while the pass threads (pass-workers=2 in tests) run
        List<String> refs = List.of(job + "/step-1", job + "-b/step-1", job + "-c/step-1");
        checkpoint(job + "-b", 1, "WSP", 2);
        checkpoint(job + "-c", 1, "MAE", 3);
        List<float[]> alone = new ArrayList<>();
        List<java.util.concurrent.Callable<float[]>> requests = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            EmbedRequest request = EmbedRequest.newBuilder().setModel(refs.get(i % 3)).addImages(png(i % 8)).build();
            alone.add(values(grpc.embed(request), 0));
            requests.add(() -> values(grpc.embed(request), 0));
        }
        for (int round = 0; round < 3; round++) {
            List<float[]> together = all(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(alone.get(i), together.get(i), 1e-4f, "request " + i + " (" + refs.get(i % 3) + "), round " + round);
            }
        }
        assertTrue(grpc.listModels(ListModelsRequest.getDefaultInstance()).getModelsList().size() <= 2);
    }

    /** Sends every request at once, each from its own thread; the answers in request order. */
    private static List<float[]> all(List<java.util.concurrent.Callable<float[]>> requests) throws Exception {
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(requests.size());
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<float[]>> answers = new ArrayList<>();
            for (java.util.concurrent.Callable<float[]> r : requests) {
                answers.add(clients.submit(() -> {
                    go.await();
                    return r.call();
                }));
            }
            go.countDown();
            List<float[]> out = new ArrayList<>();
            for (java.util.concurrent.Future<float[]> a : answers) {
                out.add(a.get());
            }
            return out;
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void zeroShotOverClassNamesAndSynsetIds() {
        List<String> classes = List.of("T-shirt/top", "Ankle boot", "n03236735", "Dog", "n99999999");
        dev.maws.proto.v1.ZeroShotResponse r = grpc.zeroShot(dev.maws.proto.v1.ZeroShotRequest.newBuilder()
                .setModel(job + "/step-1").addImages(png(0)).addImages(png(1)).addAllClasses(classes).build());
        assertEquals(List.of(List.of("n03595614"), List.of("n02872752"), List.of("n03236735"), List.of(), List.of()),
                r.getResolutionsList().stream().map(c -> List.copyOf(c.getSynsetsList())).toList(),
                "names through label-service within the model's vocabulary, ids as they are");
        assertTrue(r.getResolutions(3).getUnresolvedReason().contains("vocabulary " + VOCABULARY),
                r.getResolutions(3).getUnresolvedReason());
        assertTrue(r.getResolutions(4).getUnresolvedReason().contains("not in vocabulary"), r.getResolutions(4).toString());
        // the class probabilities are the WSP head's, renormalised over the resolved classes
        List<ScoredSynset> all = grpc.classify(ClassifyRequest.newBuilder().setModel(job + "/step-1").addImages(png(0))
                .setTopK(10).build()).getResults(0).getSynsetsList();
        double[] p = new double[3];
        for (ScoredSynset s : all) {
            int c = List.of("n03595614", "n02872752", "n03236735").indexOf(s.getSynset());
            if (c >= 0) {
                p[c] = s.getProbability();
            }
        }
        double total = p[0] + p[1] + p[2];
        List<Float> got = r.getResults(0).getProbabilitiesList();
        for (int c = 0; c < 3; c++) {
            assertEquals(p[c] / total, got.get(c), 1e-5, "class " + classes.get(c));
        }
        assertEquals(0f, got.get(3));
        assertEquals(0f, got.get(4));

        assertStatus(Status.Code.INVALID_ARGUMENT, "at least two", () -> grpc.zeroShot(dev.maws.proto.v1.ZeroShotRequest
                .newBuilder().setModel(job + "/step-1").addImages(png(0)).addClasses("Dress").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "none of the classes", () -> grpc.zeroShot(dev.maws.proto.v1.ZeroShotRequest
                .newBuilder().setModel(job + "/step-1").addImages(png(0)).addClasses("Dog").addClasses("n01234567").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "classes[1] must be a class name or synset id of 1-200 characters",
                () -> grpc.zeroShot(dev.maws.proto.v1.ZeroShotRequest.newBuilder().setModel(job + "/step-1").addImages(png(0))
                        .addClasses("Dress").addClasses(" ").build()));
        // more names than label-service takes in one ResolveTerms call (256): resolved in parts, in order
        dev.maws.proto.v1.ZeroShotRequest.Builder many = dev.maws.proto.v1.ZeroShotRequest.newBuilder().setModel(job + "/step-1")
                .addImages(png(0));
        for (int i = 0; i < 300; i++) {
            many.addClasses(i == 257 ? "Trouser" : "no such thing " + i);
        }
        dev.maws.proto.v1.ZeroShotResponse manyAnswer = grpc.zeroShot(many.build());
        assertEquals(300, manyAnswer.getResolutionsCount());
        assertEquals("Trouser", manyAnswer.getResolutions(257).getClassName());
        assertEquals(List.of("n04489008"), manyAnswer.getResolutions(257).getSynsetsList());
        assertEquals(1f, manyAnswer.getResults(0).getProbabilities(257), 1e-6f, "the one resolved class holds the mass");
        String rest = RestAssured.given().contentType("application/json").body("{\"model\":\"" + job + "/step-1\",\"images\":"
                + "[{\"data\":\"" + Base64.getEncoder().encodeToString(images.png(0)) + "\"}],\"classes\":[\"Trouser\",\"Bag\"]}")
                .post("/v1/zero-shot").then().statusCode(200).extract().asString();
        assertTrue(rest.contains("\"synsets\":[\"n04489008\"]"), rest);
    }

    @Test
    void oversizeImagesAreRefusedBeforeDecoding() throws Exception {
        // more encoded bytes than maws.inference.max-image-bytes (10 MB): refused on the size alone
        byte[] big = java.util.Arrays.copyOf(images.png(0), 10 * 1024 * 1024 + 1);
        assertStatus(Status.Code.INVALID_ARGUMENT, "at most maws.inference.max-image-bytes=10485760",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1")
                        .addImages(Image.newBuilder().setData(ByteString.copyFrom(big))).build()));
        // the same by reference: refused after reading one byte past the limit
        store.put("images/inference-test/big.png", big, "image/png");
        assertStatus(Status.Code.INVALID_ARGUMENT, "images[0]: images/inference-test/big.png is over 10485760 bytes; at most "
                + "maws.inference.max-image-bytes=10485760", () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1")
                        .addImages(Image.newBuilder().setUri("images/inference-test/big.png")).build()));
        // a small file that declares more pixels than maws.inference.max-image-pixels (40 M): refused from its header
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(7000, 6000, java.awt.image.BufferedImage.TYPE_BYTE_BINARY),
                "png", png);
        assertTrue(png.size() < 10 * 1024 * 1024, png.size() + " bytes");
        assertStatus(Status.Code.INVALID_ARGUMENT, "image is 7000x6000 pixels; at most 40000000 are accepted (maws.inference.max-image-pixels)",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1")
                        .addImages(Image.newBuilder().setData(ByteString.copyFrom(png.toByteArray()))).build()));
        assertEquals(1, grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(0)).build())
                .getEmbeddingsCount(), "the service goes on");
    }

    @Test
    void badRequestsSayWhatToFix() throws Exception {
        String mae = "mae-test-" + UUID.randomUUID().toString().substring(0, 8);
        checkpoint(mae, 5, "MAE", 3);
        assertEquals(32, grpc.embed(EmbedRequest.newBuilder().setModel(mae + "/latest").addImages(png(0)).build())
                .getEmbeddings(0).getValuesCount(), "an MAE checkpoint embeds");
        assertStatus(Status.Code.INVALID_ARGUMENT, "without a classification head",
                () -> grpc.classify(ClassifyRequest.newBuilder().setModel(mae + "/step-5").addImages(png(0)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "images[1]: images must be PNG, JPEG or WebP, this one is gif",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(0))
                        .addImages(Image.newBuilder().setData(ByteString.copyFromUtf8("GIF89a, or rather not"))).build()));
        byte[] truncated = java.util.Arrays.copyOf(images.png(0), images.png(0).length / 2);
        assertStatus(Status.Code.INVALID_ARGUMENT, "images[0]: corrupt image",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1")
                        .addImages(Image.newBuilder().setData(ByteString.copyFrom(truncated))).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "images is empty",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").build()));
        EmbedRequest.Builder nine = EmbedRequest.newBuilder().setModel(job + "/step-1");
        for (int i = 0; i < 9; i++) {
            nine.addImages(png(i));
        }
        assertStatus(Status.Code.INVALID_ARGUMENT, "maws.inference.max-images-per-request=8", () -> grpc.embed(nine.build()));
        assertStatus(Status.Code.NOT_FOUND, "no complete checkpoint",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-99").addImages(png(0)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "checkpoint reference must be",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel("../../jobs/x").addImages(png(0)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "model is required",
                () -> grpc.embed(EmbedRequest.newBuilder().addImages(png(0)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "not in the platform bucket",
                () -> grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1")
                        .addImages(Image.newBuilder().setUri("s3://other-bucket/x.png")).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "larger than the vocabulary",
                () -> grpc.classify(ClassifyRequest.newBuilder().setModel(job + "/step-1").addImages(png(0)).setTopK(11).build()));
        assertStatus(Status.Code.NOT_FOUND, "is not loaded",
                () -> grpc.unloadModel(UnloadModelRequest.newBuilder().setModel(job + "/step-77").build()));
        // the service goes on
        assertEquals(1, grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(0)).build())
                .getEmbeddingsCount());
    }

    @Test
    void speaksTheOpenInferenceProtocolOverRest() throws Exception {
        RestAssured.get("/v2/health/ready").then().statusCode(200);
        RestAssured.get("/v2/health/live").then().statusCode(200);
        String meta = RestAssured.get("/v2/models/" + job).then().statusCode(200).extract().asString();
        assertTrue(meta.contains("\"versions\":[\"step-1\"]") && meta.contains("\"name\":\"probabilities\""), meta);

        String b64 = Base64.getEncoder().encodeToString(images.png(5));
        String body = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\""
                + b64 + "\"]}]}";
        com.fasterxml.jackson.databind.JsonNode out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                RestAssured.given().contentType("application/json").body(body)
                        .post("/v2/models/" + job + "/versions/step-1/infer").then().statusCode(200).extract().asString());
        assertEquals("r1", out.get("id").asText());
        assertEquals("step-1", out.get("model_version").asText());
        com.fasterxml.jackson.databind.JsonNode embedding = out.get("outputs").get(0);
        assertEquals("embedding", embedding.get("name").asText());
        assertEquals("[1,32]", embedding.get("shape").toString());
        float[] viaGrpc = values(grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(5)).build()), 0);
        for (int i = 0; i < 32; i++) {
            assertEquals(viaGrpc[i], embedding.get("data").get(i).floatValue(), 1e-5f);
        }
        assertEquals(10, out.get("outputs").get(1).get("data").size(), "probabilities over the vocabulary");

        // the same image as a prepared FP32 tensor gives the same embedding
        float[] px = new float[28 * 28];
        dev.maws.platform.image.Pixels.resize(new dev.maws.platform.image.ImageDecoder(1_000_000).decode(images.png(5), 1), 28,
                dev.maws.platform.image.Pixels.Normalization.standard(1), px, 0);
        StringBuilder data = new StringBuilder();
        for (float v : px) {
            data.append(data.length() == 0 ? "" : ",").append(v);
        }
        com.fasterxml.jackson.databind.JsonNode fromPixels = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                RestAssured.given().contentType("application/json").body("{\"inputs\":[{\"name\":\"pixels\",\"datatype\":\"FP32\","
                        + "\"shape\":[1,1,28,28],\"data\":[" + data + "]}],\"outputs\":[{\"name\":\"embedding\"}]}")
                        .post("/v2/models/" + job + "/infer").then().statusCode(200).extract().asString());
        assertEquals(1, fromPixels.get("outputs").size());
        for (int i = 0; i < 32; i++) {
            assertEquals(viaGrpc[i], fromPixels.get("outputs").get(0).get("data").get(i).floatValue(), 1e-5f);
        }

        RestAssured.given().contentType("application/json").body(body.replace("BYTES", "INT8"))
                .post("/v2/models/" + job + "/infer").then().statusCode(400);
        RestAssured.given().contentType("application/json").body("{\"inputs\":[{\"name\":\"pixels\",\"datatype\":\"FP32\","
                + "\"shape\":[1,1,28,27],\"data\":[1,2]}]}").post("/v2/models/" + job + "/infer").then().statusCode(400);
        // raw pixels are not converted: three channels for this grayscale model are refused, and so is the right
        // number of values in the wrong shape
        String rgb = (data + ",").repeat(3);
        RestAssured.given().contentType("application/json").body("{\"inputs\":[{\"name\":\"pixels\",\"datatype\":\"FP32\","
                + "\"shape\":[1,3,28,28],\"data\":[" + rgb.substring(0, rgb.length() - 1) + "]}]}")
                .post("/v2/models/" + job + "/infer").then().statusCode(400)
                .body("error", org.hamcrest.Matchers.containsString("pixels must be [N, 1, 28, 28]"));
        RestAssured.given().contentType("application/json").body("{\"inputs\":[{\"name\":\"pixels\",\"datatype\":\"FP32\","
                + "\"shape\":[1,4,14,14],\"data\":[" + data + "]}]}")
                .post("/v2/models/" + job + "/infer").then().statusCode(400)
                .body("error", org.hamcrest.Matchers.containsString("got [1, 4, 14, 14]"));
        RestAssured.given().contentType("application/json").body(body).post("/v2/models/no-such-job/infer").then().statusCode(404);
    }

    @Test
    void speaksTheOpenInferenceProtocolOverGrpc() throws Exception {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        assertTrue(oip.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertTrue(oip.modelReady(ModelReadyRequest.newBuilder().setName(job).build()).getReady());
        assertTrue(!oip.modelReady(ModelReadyRequest.newBuilder().setName("no-such-job").build()).getReady());
        ModelMetadataResponse meta = oip.modelMetadata(ModelMetadataRequest.newBuilder().setName(job).build());
        assertEquals(List.of("step-1"), meta.getVersionsList());
        assertEquals(List.of("embedding", "probabilities"), meta.getOutputsList().stream()
                .map(ModelMetadataResponse.TensorMetadata::getName).toList());
        assertEquals(List.of(-1L, 10L), meta.getOutputs(1).getShapeList());

        float[] viaEmbed = values(grpc.embed(EmbedRequest.newBuilder().setModel(job + "/step-1").addImages(png(5))
                .addImages(png(6)).build()), 1);
        // two images as typed BYTES contents, only the embedding asked for
        ModelInferResponse typed = oip.modelInfer(ModelInferRequest.newBuilder().setModelName(job).setModelVersion("step-1")
                .setId("g1").addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES")
                        .addShape(2).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFrom(images.png(5)))
                                .addBytesContents(ByteString.copyFrom(images.png(6)))))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("embedding")).build());
        assertEquals("g1", typed.getId());
        assertEquals("step-1", typed.getModelVersion());
        assertEquals(1, typed.getOutputsCount());
        assertEquals(List.of(2L, 32L), typed.getOutputs(0).getShapeList());
        float[] second = floats(typed.getRawOutputContents(0), 32, 32);
        assertArrayEquals(viaEmbed, second, 1e-5f, "the same numbers as Embed");

        // the second image again, as raw little-endian FP32 pixels; every output of the WSP checkpoint
        float[] px = new float[28 * 28];
        dev.maws.platform.image.Pixels.resize(new dev.maws.platform.image.ImageDecoder(1_000_000).decode(images.png(6), 1), 28,
                dev.maws.platform.image.Pixels.Normalization.standard(1), px, 0);
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(px.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : px) {
            raw.putFloat(v);
        }
        raw.flip();
        ModelInferResponse fromPixels = oip.modelInfer(ModelInferRequest.newBuilder().setModelName(job)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("pixels").setDatatype("FP32")
                        .addAllShape(List.of(1L, 1L, 28L, 28L)))
                .addRawInputContents(ByteString.copyFrom(raw)).build());
        assertEquals(2, fromPixels.getOutputsCount());
        assertArrayEquals(viaEmbed, floats(fromPixels.getRawOutputContents(0), 0, 32), 1e-5f);
        float[] probabilities = floats(fromPixels.getRawOutputContents(1), 0, 10);
        double sum = 0;
        for (float p : probabilities) {
            sum += p;
        }
        assertEquals(1.0, sum, 1e-4, "a softmax over the vocabulary");

        // raw BYTES: each element behind a 4-byte little-endian length
        byte[] png = images.png(6);
        java.nio.ByteBuffer framed = java.nio.ByteBuffer.allocate(4 + png.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        framed.putInt(png.length).put(png).flip();
        ModelInferResponse rawBytes = oip.modelInfer(ModelInferRequest.newBuilder().setModelName(job)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES").addShape(1))
                .addRawInputContents(ByteString.copyFrom(framed)).build());
        assertArrayEquals(viaEmbed, floats(rawBytes.getRawOutputContents(0), 0, 32), 1e-5f);

        ModelInferRequest.InferInputTensor bad = ModelInferRequest.InferInputTensor.newBuilder().setName("pixels")
                .setDatatype("FP32").addAllShape(List.of(1L, 1L, 28L, 27L)).build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "needs 756 values", () -> oip.modelInfer(ModelInferRequest.newBuilder()
                .setModelName(job).addInputs(bad).addRawInputContents(ByteString.copyFrom(new byte[8])).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "pixels must be [N, 1, 28, 28]", () -> oip.modelInfer(ModelInferRequest
                .newBuilder().setModelName(job).addInputs(bad.toBuilder().clearShape().addAllShape(List.of(2L, 3L, 28L, 28L)))
                .addRawInputContents(ByteString.copyFrom(new byte[2 * 3 * 28 * 28 * 4])).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "unknown input", () -> oip.modelInfer(ModelInferRequest.newBuilder()
                .setModelName(job).addInputs(bad.toBuilder().setName("audio")).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "claims", () -> oip.modelInfer(ModelInferRequest.newBuilder()
                .setModelName(job).addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image")
                        .setDatatype("BYTES")).addRawInputContents(ByteString.copyFrom(new byte[] {100, 0, 0, 0, 1})).build()));
        assertStatus(Status.Code.NOT_FOUND, "", () -> oip.modelInfer(ModelInferRequest.newBuilder()
                .setModelName("no-such-job").addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image")
                        .setDatatype("BYTES").addShape(1)).addRawInputContents(ByteString.copyFrom(framed.rewind())).build()));
    }

    private static float[] floats(ByteString raw, int from, int count) {
        float[] out = new float[count];
        raw.asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).position(from * 4).slice()
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    @Test
    void restMirrorsGrpc() {
        String data = Base64.getEncoder().encodeToString(images.png(0));
        String body = "{\"model\":\"" + job + "/step-1\",\"images\":[{\"data\":\"" + data + "\"}],\"normalize\":true}";
        String embedded = RestAssured.given().contentType("application/json").body(body).post("/v1/embed").then()
                .statusCode(200).extract().asString();
        assertTrue(embedded.contains("\"model\":\"" + job + "/step-1\""), embedded);
        String classified = RestAssured.given().contentType("application/json").body(body.replace(",\"normalize\":true",
                ",\"topK\":2")).post("/v1/classify").then().statusCode(200).extract().asString();
        assertTrue(classified.contains("\"probability\""), classified);
        RestAssured.given().contentType("application/json").body("{\"model\":\"" + job + "/step-1\",\"images\":[]}")
                .post("/v1/embed").then().statusCode(400);
        RestAssured.given().contentType("application/json").body("{\"images\": 7}").post("/v1/embed").then().statusCode(400);
        RestAssured.given().contentType("application/json").body(body.replace("step-1", "step-42")).post("/v1/embed").then()
                .statusCode(404);
        RestAssured.post("/v1/models/" + job + "/step-1").then().statusCode(200);
        assertTrue(RestAssured.get("/v1/models").asString().contains(job + "/step-1"));
        RestAssured.delete("/v1/models/" + job + "/step-1").then().statusCode(200);
        RestAssured.delete("/v1/models/" + job + "/step-1").then().statusCode(404);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * f;
        }
        return Math.sqrt(s);
    }
}
