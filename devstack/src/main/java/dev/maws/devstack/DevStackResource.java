package dev.maws.devstack;

import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Gives a {@code @QuarkusTest} real Kafka + S3: {@code @QuarkusTestResource(DevStackResource.class)}.
 * The app sees them through {@code kafka.bootstrap.servers} and {@code maws.s3.*}. The data
 * directory ({@code target/devstack} of the module, or the {@code maws.devstack.dir} system property)
 * is kept across restarts, so tests must use their own ids.
 */
public class DevStackResource implements QuarkusTestResourceLifecycleManager {
    private DevStack stack;

    @Override
    public Map<String, String> start() {
        Path dir = Path.of(System.getProperty("maws.devstack.dir", "target/devstack"));
        stack = new DevStack(dir).start();
        return stack.serviceConfig();
    }

    @Override
    public void stop() {
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }
}
