package dev.maws.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.devstack.DevStackResource;
import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.CheckpointInfo;
import dev.maws.proto.v1.ListCheckpointsRequest;
import dev.maws.proto.v1.TrainerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class CheckpointListingTest {
    @Inject
    ObjectStore store;

    ManagedChannel channel;
    TrainerServiceGrpc.TrainerServiceBlockingStub trainer;

    @BeforeEach
    void connect() {
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        trainer = TrainerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void aCheckpointExistsOnlyWithItsManifest() throws Exception {
        String job = "job-" + UUID.randomUUID();
        byte[] bytes = "x".getBytes(StandardCharsets.UTF_8);
        store.put("checkpoints/" + job + "/step-200/manifest.json", manifest(200), "application/json");
        store.put("checkpoints/" + job + "/step-1000/manifest.json", manifest(1000), "application/json");
        // written but never finished: parameters without a manifest
        store.put("checkpoints/" + job + "/step-1200/model.params", bytes, "application/octet-stream");

        List<CheckpointInfo> found = trainer.listCheckpoints(ListCheckpointsRequest.newBuilder().setJobId(job).build())
                .getCheckpointsList();
        assertEquals(List.of(job + "/step-200", job + "/step-1000"), found.stream().map(CheckpointInfo::getReference).toList());
        assertEquals(List.of(200L, 1000L), found.stream().map(CheckpointInfo::getStep).toList());
        assertEquals(0.5, found.get(1).getMetricsOrThrow("loss"));
        assertEquals("MAE", found.get(1).getStage());
        assertEquals(1000 / 400.0, found.get(1).getEpoch());
    }

    private static byte[] manifest(long step) throws Exception {
        return new ObjectMapper().writeValueAsBytes(new CheckpointManifest(CheckpointManifest.FORMAT, "MAE", VitConfig.tiny28(),
                0, "", step, step / 400.0, Map.of("loss", 0.5), Map.of(), Map.of(), "2026-11-26T00:00:00Z"));
    }

    @Test
    void aJobIdThatCouldLeaveItsPrefixIsInvalid() {
        for (String bad : new String[] {"", "../jobs", "a/b", "UPPER", "x".repeat(64)}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> trainer.listCheckpoints(ListCheckpointsRequest.newBuilder().setJobId(bad).build()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("job id must be"), e.getStatus().getDescription());
        }
    }
}
