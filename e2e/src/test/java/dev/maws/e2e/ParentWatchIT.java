package dev.maws.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.ServiceProcess;

/**
 * A packaged service started with {@code maws.parent-pid} stops by itself once that process is gone,
 * even when it died by SIGKILL and ran no cleanup: what keeps a killed {@code ./maws} from leaving
 * services behind. The "launcher" here is a {@code sleep} process, killed with SIGKILL.
 */
class ParentWatchIT {
    @Test
    void aServiceEndsWhenItsLauncherIsKilled() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path state = Path.of("target/parent-watch").toAbsolutePath();
        Files.createDirectories(state);
        Process launcher = new ProcessBuilder("sleep", "600").start();
        Process service = null;
        try (DevStack stack = DevStack.fresh(state.resolve("devstack")).start()) {
            // the last -Dmaws.parent-pid wins over the one ServiceProcess sets (this JVM)
            service = ServiceProcess.start(root.resolve("label-service/target/quarkus-app/quarkus-run.jar"),
                    List.of("-Xmx512m", "-Dmaws.parent-pid=" + launcher.pid()), stack.environment(), ServiceProcess.freePort(),
                    state.resolve("label-service.log"), Duration.ofMinutes(3));
            assertTrue(service.isAlive());
            launcher.destroyForcibly();
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service is still running a minute after its launcher died");
            String log = Files.readString(state.resolve("label-service.log"));
            assertTrue(log.contains("(pid " + launcher.pid() + ") exited; stopping"), "the reason is logged");
        } finally {
            launcher.destroyForcibly();
            if (service != null) {
                service.destroyForcibly();
            }
        }
        assertFalse(service.isAlive());
    }
}
