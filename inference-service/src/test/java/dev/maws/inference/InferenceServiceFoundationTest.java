package dev.maws.inference;

import dev.maws.devstack.DevStackResource;
import dev.maws.platform.testing.ServiceFoundationChecks;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
// label-service beside the devstack: ZeroShot resolves class names through it
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "service.label-service",
        value = "../label-service/target/quarkus-app/quarkus-run.jar"))
class InferenceServiceFoundationTest extends ServiceFoundationChecks {
}
