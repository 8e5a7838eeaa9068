package dev.maws.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStackResource;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.trainer.device.ServiceTensorEngine;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** A tensor op inside the app (the first of two app starts in this JVM; see the profile test). */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class TensorEngineTest {
    @Inject
    ServiceTensorEngine engine;

    @Test
    void runsATensorOpAndReportsReady() {
        assertEquals(DjlRuntime.PROBE_RESULT, engine.probe());
        given().when().get("/q/health/ready").then().statusCode(200).body("checks.name", hasItem("tensor-engine"));
    }
}
