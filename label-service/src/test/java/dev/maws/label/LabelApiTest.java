package dev.maws.label;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStackResource;
import dev.maws.proto.v1.LabelRequest;
import dev.maws.proto.v1.LabelResponse;
import dev.maws.proto.v1.LabelServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class LabelApiTest {
    @Test
    void restLabelsCaptionsInInputOrder() {
        given().contentType(ContentType.JSON)
                .body(Map.of("captions", List.of("Best boy! #GoldenRetriever #dogsofinstagram", "#tbt #love")))
                .when().post("/v1/label").then().statusCode(200)
                .body("results", hasSize(2))
                .body("results[0].hashtags", equalTo(List.of("goldenretriever", "dogsofinstagram")))
                .body("results[0].labels[0].synset", equalTo("n02099601"))
                .body("results[0].labels[0].lemma", equalTo("golden_retriever"))
                .body("results[0].labels[0].hashtag", equalTo("goldenretriever"))
                .body("results[1].labels", hasSize(0));
    }

    @Test
    void restRefusesWhatBreaksALimitAndSaysWhich() throws Exception {
        given().contentType(ContentType.JSON).body(Map.of("captions", List.of())).when().post("/v1/label")
                .then().statusCode(400).body("error", containsString("non-empty list"));
        given().contentType(ContentType.JSON).body(Map.of("captions", Collections.nCopies(257, "#dog")))
                .when().post("/v1/label").then().statusCode(400)
                .body("error", containsString("maws.label.max-captions-per-request = 256"));
        given().contentType(ContentType.JSON).body(Map.of("captions", List.of("#dog", "x".repeat(2201))))
                .when().post("/v1/label").then().statusCode(400)
                .body("error", containsString("captions[1] has 2201 characters"));
        StringBuilder spam = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            spam.append("#tag").append(i).append("x ");
        }
        given().contentType(ContentType.JSON).body(Map.of("captions", List.of("#dog", spam.toString())))
                .when().post("/v1/label").then().statusCode(400)
                .body("error", equalTo("captions[1]: caption has 101 distinct hashtags, more than "
                        + "maws.label.max-hashtags-per-caption = 100"));
        given().contentType(ContentType.JSON).body("{\"captions\": \"#not a list\"}").when().post("/v1/label")
                .then().statusCode(400);
        String oversize = oversizeBody();
        assertTrue(oversize.startsWith("HTTP/1.1 400 "), oversize);
        assertTrue(oversize.contains("the request body has 5242880 bytes, more than quarkus.http.limits.max-body-size = 4M"),
                oversize);
        // and the service is still there
        given().contentType(ContentType.JSON).body(Map.of("captions", List.of("#geese"))).when().post("/v1/label")
                .then().statusCode(200).body("results[0].labels[0].synset", equalTo("n01855672"));
    }

    @Test
    void restAndGrpcResolveClassNames() throws InterruptedException {
        given().contentType(ContentType.JSON).body(Map.of("terms", List.of("Ankle boot", "happiness")))
                .when().post("/v1/resolve").then().statusCode(200)
                .body("terms[0].term", equalTo("Ankle boot"))
                .body("terms[0].synsets[0].synset", equalTo("n02872752"))
                .body("terms[1].synsets", hasSize(0))
                .body("terms[1].unresolvedReason", containsString("names no visual WordNet noun"));
        given().contentType(ContentType.JSON).body(Map.of("terms", List.of(""))).when().post("/v1/resolve")
                .then().statusCode(400).body("error", containsString("terms[0] must be 1-200 characters"));
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        try {
            var stub = LabelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            var r = stub.resolveTerms(dev.maws.proto.v1.ResolveTermsRequest.newBuilder().addTerms("Sneaker").build());
            assertEquals("n03472535", r.getTerms(0).getSynsets(0).getSynset());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> stub.resolveTerms(dev.maws.proto.v1.ResolveTermsRequest.newBuilder().build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * The head of a 5 MiB request, over quarkus.http.limits.max-body-size = 4M, with "Expect:
     * 100-continue" as curl sends it: the answer comes before the body is sent, and the server closes
     * the connection. (A plain socket: JDK 17's HttpClient never returns from such an answer.)
     */
    private static String oversizeBody() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /v1/label HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (5 << 20) + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void grpcLabelsOneCaptionAndRefusesAnEmptyOne() throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        try {
            var stub = LabelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            LabelResponse r = stub.label(LabelRequest.newBuilder().setCaption("#crane #bird at the lake").build());
            assertEquals(List.of("crane", "bird"), r.getHashtagsList());
            assertEquals("n02012849", r.getLabels(0).getSynset());
            assertTrue(r.getLabels(0).getScore() > 0);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> stub.label(LabelRequest.newBuilder().setCaption(" ").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("caption is empty"), e.getStatus().getDescription());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
