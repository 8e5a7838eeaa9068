package dev.maws.trainer;

import dev.maws.devstack.DevStackResource;
import dev.maws.platform.testing.ServiceFoundationChecks;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
class TrainerServiceFoundationTest extends ServiceFoundationChecks {
}
