package dev.maws.platform.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.platform.objectstore.ObjectStore;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.RestAssured;

/**
 * What every service must do from its first day, checked against the running app on the devstack:
 * health, Prometheus metrics, OpenAPI, gRPC on the HTTP port, and real round trips through Kafka
 * and S3 with the configuration the app was given. A service test extends this with
 * {@code @QuarkusTest @QuarkusTestResource(DevStackResource.class)}.
 */
public abstract class ServiceFoundationChecks {
    @Inject
    ObjectStore objectStore;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafkaBootstrapServers;

    @ConfigProperty(name = "quarkus.application.name")
    String applicationName;

    @Test
    void healthIsUpIncludingTheObjectStore() {
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("object-store"));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void prometheusMetricsAreServed() {
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("# TYPE jvm_memory_used_bytes gauge"));
    }

    @Test
    void openApiDocumentIsServed() {
        given().queryParam("format", "json").when().get("/q/openapi").then().statusCode(200)
                .body("openapi", org.hamcrest.Matchers.startsWith("3."))
                .body("info.title", equalTo("MAWS " + applicationName));
    }

    @Test
    void grpcHealthAnswersOnTheHttpPort() throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        try {
            var status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().build()).getStatus();
            assertEquals(ServingStatus.SERVING, status);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void kafkaRoundTripWithTheAppsBootstrapServers() {
        String key = applicationName + "-" + UUID.randomUUID();
        byte[] value = ("round trip from " + applicationName).getBytes(StandardCharsets.UTF_8);
        DevStackClients.produce(kafkaBootstrapServers, DevStack.TOPIC_CAPTIONS_DLQ, key, value);
        List<ConsumerRecord<String, byte[]>> back = DevStackClients.consume(kafkaBootstrapServers,
                DevStack.TOPIC_CAPTIONS_DLQ, r -> key.equals(r.key()), 1, Duration.ofSeconds(30));
        assertEquals(1, back.size());
        assertArrayEquals(value, back.get(0).value());
    }

    @Test
    void s3RoundTripThroughTheAppsObjectStore() {
        String key = "reports/foundation/" + applicationName + "-" + UUID.randomUUID() + ".json";
        byte[] data = ("{\"service\": \"" + applicationName + "\"}").getBytes(StandardCharsets.UTF_8);
        objectStore.put(key, data, "application/json");
        assertArrayEquals(data, objectStore.get(key));
        objectStore.delete(key);
        assertEquals(false, objectStore.exists(key));
    }
}
