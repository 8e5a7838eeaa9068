package dev.maws.devstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.errors.ErrorResponseException;

class DevStackTest {
    @TempDir
    Path dir;

    @Test
    void kafkaAndS3RoundTripAndSurviveARestart() throws Exception {
        String key = "img-" + UUID.randomUUID();
        byte[] value = "a caption #goldenretriever".getBytes(StandardCharsets.UTF_8);
        byte[] object = "not really a png".getBytes(StandardCharsets.UTF_8);
        String firstAccessKey;

        try (DevStack stack = new DevStack(dir).start()) {
            firstAccessKey = stack.s3AccessKey();
            DevStackClients.produce(stack.kafkaBootstrapServers(), DevStack.TOPIC_CAPTIONS, key, value);
            try (MinioClient s3 = client(stack.serviceConfig())) {
                s3.putObject(PutObjectArgs.builder().bucket(DevStack.BUCKET).object("images/" + key + ".png")
                        .stream(new ByteArrayInputStream(object), object.length, -1).build());
            }
        }

        // Same data directory: the record and the object are still there, under new credentials.
        try (DevStack stack = new DevStack(dir).start()) {
            assertNotEquals(firstAccessKey, stack.s3AccessKey());
            List<ConsumerRecord<String, byte[]>> records = DevStackClients.consume(stack.kafkaBootstrapServers(),
                    DevStack.TOPIC_CAPTIONS, r -> key.equals(r.key()), 1, Duration.ofSeconds(30));
            assertEquals(1, records.size());
            assertArrayEquals(value, records.get(0).value());
            try (MinioClient s3 = client(stack.serviceConfig());
                    var in = s3.getObject(GetObjectArgs.builder().bucket(DevStack.BUCKET)
                            .object("images/" + key + ".png").build())) {
                assertArrayEquals(object, in.readAllBytes());
            }
        }
    }

    @Test
    void s3RefusesWrongCredentials() throws Exception {
        try (DevStack stack = new DevStack(dir).start()) {
            Map<String, String> config = new java.util.HashMap<>(stack.serviceConfig());
            config.put("maws.s3.secret-key", "wrong");
            try (MinioClient s3 = client(config)) {
                ErrorResponseException e = assertThrows(ErrorResponseException.class, () -> s3.getObject(
                        GetObjectArgs.builder().bucket(DevStack.BUCKET).object("anything").build()));
                assertEquals("SignatureDoesNotMatch", e.errorResponse().code());
            }
        }
    }

    @Test
    void environmentUsesMicroProfileNames() {
        try (DevStack stack = new DevStack(dir).start()) {
            Map<String, String> env = stack.environment();
            assertEquals(stack.kafkaBootstrapServers(), env.get("KAFKA_BOOTSTRAP_SERVERS"));
            assertEquals(stack.s3Endpoint(), env.get("MAWS_S3_ENDPOINT"));
            assertEquals(stack.s3SecretKey(), env.get("MAWS_S3_SECRET_KEY"));
        }
    }

    /**
     * S3 answers a GET with one whole version of an object, whatever PUTs of the same key run meanwhile
     * (S3Proxy's file store took the size of one version and sent the bytes of the next: a body cut
     * short, and the rest left on the connection for the next response to trip over).
     */
    @Test
    void aGetRacingPutsOfTheSameKeyReturnsOneWholeVersion() throws Exception {
        byte[] shorter = "{\"state\": \"RUNNING\"}".getBytes(StandardCharsets.UTF_8);
        byte[] longer = "{\"state\": \"CANCELLED\", \"finishedAt\": \"2026-11-27T19:40:38Z\"}".getBytes(StandardCharsets.UTF_8);
        String key = "jobs/race-" + UUID.randomUUID() + ".json";
        try (DevStack stack = new DevStack(dir).start(); MinioClient s3 = client(stack.serviceConfig())) {
            s3.putObject(PutObjectArgs.builder().bucket(DevStack.BUCKET).object(key)
                    .stream(new ByteArrayInputStream(shorter), shorter.length, -1).build());
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = new Thread(() -> {
                try (MinioClient w = client(stack.serviceConfig())) {
                    for (int i = 0; !done.get(); i++) {
                        byte[] v = i % 2 == 0 ? longer : shorter;
                        w.putObject(PutObjectArgs.builder().bucket(DevStack.BUCKET).object(key)
                                .stream(new ByteArrayInputStream(v), v.length, -1).build());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            try {
                long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                int reads = 0;
                while (System.nanoTime() < until) {
                    byte[] got;
                    try (var in = s3.getObject(GetObjectArgs.builder().bucket(DevStack.BUCKET).object(key).build())) {
                        got = in.readAllBytes();
                    }
                    reads++;
                    if (!java.util.Arrays.equals(got, shorter) && !java.util.Arrays.equals(got, longer)) {
                        throw new AssertionError("read " + reads + " got neither version: "
                                + new String(got, StandardCharsets.UTF_8));
                    }
                }
            } finally {
                done.set(true);
                writer.join();
            }
        }
    }

    private static MinioClient client(Map<String, String> config) {
        return MinioClient.builder().endpoint(config.get("maws.s3.endpoint")).region(config.get("maws.s3.region"))
                .credentials(config.get("maws.s3.access-key"), config.get("maws.s3.secret-key")).build();
    }
}
