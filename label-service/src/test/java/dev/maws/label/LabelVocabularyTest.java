package dev.maws.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.DevStackResource;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.CaptionRecord;
import dev.maws.proto.v1.FreezeVocabularyRequest;
import dev.maws.proto.v1.GetVocabularyRequest;
import dev.maws.proto.v1.LabelRequest;
import dev.maws.proto.v1.LabelServiceGrpc;
import dev.maws.proto.v1.ListVocabulariesRequest;
import dev.maws.proto.v1.ResolveTermsRequest;
import dev.maws.proto.v1.ResolvedTerm;
import dev.maws.proto.v1.Vocabulary;
import dev.maws.proto.v1.VocabularyEntry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * Vocabularies frozen from what the Kafka pipeline labelled: counts per image (a re-sent image
 * counts once), min_count and max_size, S3 storage, get/list, and ResolveTerms within a vocabulary.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class LabelVocabularyTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    ObjectStore store;

    ManagedChannel channel;
    LabelServiceGrpc.LabelServiceBlockingStub grpc;

    @BeforeEach
    void connect() {
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        grpc = LabelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Four okapi images (one sent twice) and three narwhal images; ids are fixed, so reruns replace them. */
    private void labelImages() {
        List<Map.Entry<String, byte[]>> captions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            captions.add(caption("vocab-okapi-" + i, "at the zoo today #okapi"));
        }
        captions.add(caption("vocab-okapi-0", "at the zoo again #okapi")); // the same image re-sent
        for (int i = 0; i < 3; i++) {
            captions.add(caption("vocab-narwhal-" + i, "#narwhal in the arctic"));
        }
        DevStackClients.produceAll(kafka, DevStack.TOPIC_CAPTIONS, captions);
        // every image labelled (by this run or, with the same ids, an earlier one: counts go by image id)
        assertEquals(7, DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                r -> r.key().startsWith("vocab-okapi-") || r.key().startsWith("vocab-narwhal-"), 8, Duration.ofSeconds(60))
                .stream().map(r -> r.key()).distinct().count());
    }

    private static Map.Entry<String, byte[]> caption(String id, String text) {
        return Map.entry(id, CaptionRecord.newBuilder().setImageId(id).setImageUri("images/vocab/" + id + ".jpg")
                .setCaption(text).build().toByteArray());
    }

    private String synsetOf(String tag) {
        return grpc.label(LabelRequest.newBuilder().setCaption("#" + tag).build()).getLabels(0).getSynset();
    }

    @Test
    void freezesCountsFromTheLabelledImages() {
        labelImages();
        String okapi = synsetOf("okapi");
        String narwhal = synsetOf("narwhal");

        Vocabulary v = grpc.freezeVocabulary(FreezeVocabularyRequest.newBuilder().setMinCount(4).build());
        List<String> ids = v.getEntriesList().stream().map(VocabularyEntry::getSynset).toList();
        VocabularyEntry okapiEntry = v.getEntries(ids.indexOf(okapi));
        assertEquals(4, okapiEntry.getCount(), "four images; the re-sent one counts once");
        assertTrue(okapiEntry.getLemmasList().contains("okapi"), okapiEntry.toString());
        assertFalse(ids.contains(narwhal), "3 images < min_count 4");
        assertEquals(v.getEntriesCount(), v.getSize());
        for (int i = 1; i < v.getEntriesCount(); i++) {
            assertTrue(v.getEntries(i - 1).getCount() >= v.getEntries(i).getCount(), "most frequent first");
            assertTrue(v.getEntries(i).getCount() >= 4, v.getEntries(i).toString());
        }
        assertTrue(v.getRule().startsWith("min_count=4,max_size=0,images="), v.getRule());
        assertTrue(store.exists("vocab/" + v.getVersion() + ".json"));

        assertEquals(v, grpc.getVocabulary(GetVocabularyRequest.newBuilder().setVersion(v.getVersion()).build()));
        Vocabulary listed = grpc.listVocabularies(ListVocabulariesRequest.getDefaultInstance()).getVocabulariesList().stream()
                .filter(x -> x.getVersion().equals(v.getVersion())).findFirst().orElseThrow();
        assertEquals(0, listed.getEntriesCount(), "listed without entries");
        assertEquals(v.getSize(), listed.getSize());

        Vocabulary top = grpc.freezeVocabulary(FreezeVocabularyRequest.newBuilder().setMinCount(1).setMaxSize(1).build());
        assertEquals(1, top.getSize());

        List<ResolvedTerm> within = grpc.resolveTerms(ResolveTermsRequest.newBuilder().addTerms("Okapi").addTerms("Narwhal")
                .setVocabularyVersion(v.getVersion()).build()).getTermsList();
        assertEquals(okapi, within.get(0).getSynsets(0).getSynset());
        assertEquals(0, within.get(1).getSynsetsCount());
        assertTrue(within.get(1).getUnresolvedReason().contains("is in vocabulary " + v.getVersion()),
                within.get(1).getUnresolvedReason());
    }

    @Test
    void badVocabularyRequestsSayWhatToFix() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> grpc.getVocabulary(GetVocabularyRequest.newBuilder().setVersion("../jobs/x").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> grpc.getVocabulary(GetVocabularyRequest.newBuilder().setVersion("no-such-version").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> grpc.freezeVocabulary(FreezeVocabularyRequest.newBuilder().setMinCount(-1).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> grpc.freezeVocabulary(FreezeVocabularyRequest.newBuilder().setMaxSize(10_000_000).build()));
        assertTrue(e.getStatus().getDescription().contains("maws.label.vocabulary.max-size"), e.getStatus().getDescription());
        e = assertThrows(StatusRuntimeException.class,
                () -> grpc.freezeVocabulary(FreezeVocabularyRequest.newBuilder().setMinCount(1_000_000_000L).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> grpc.resolveTerms(ResolveTermsRequest.newBuilder()
                .addTerms("dog").setVocabularyVersion("no-such-version").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void restHasTheSameVocabularies() {
        labelImages();
        String created = RestAssured.given().contentType("application/json").body("{\"minCount\": 4}")
                .post("/v1/vocabularies").then().statusCode(201).extract().asString();
        String version = created.replaceAll("(?s).*\"version\":\"([^\"]+)\".*", "$1");
        String got = RestAssured.get("/v1/vocabularies/" + version).then().statusCode(200).extract().asString();
        assertTrue(got.contains("\"lemmas\":[\"okapi\""), got);
        RestAssured.get("/v1/vocabularies/no-such-version").then().statusCode(404);
        RestAssured.get("/v1/vocabularies/bad..version!").then().statusCode(400);
        RestAssured.given().contentType("application/json").body("{\"minCount\": -2}").post("/v1/vocabularies").then()
                .statusCode(400);
        String list = RestAssured.get("/v1/vocabularies").then().statusCode(200).extract().asString();
        assertTrue(list.contains(version), list);
        String resolved = RestAssured.given().contentType("application/json")
                .body("{\"terms\": [\"Narwhal\"], \"vocabularyVersion\": \"" + version + "\"}").post("/v1/resolve").then()
                .statusCode(200).extract().asString();
        assertTrue(resolved.contains("is in vocabulary " + version), resolved);
        assertTrue(new String(store.get("vocab/" + version + ".json"), StandardCharsets.UTF_8).contains("\"okapi\""));
    }
}
