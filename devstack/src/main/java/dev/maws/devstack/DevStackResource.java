package dev.maws.devstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Gives a {@code @QuarkusTest} real Kafka + S3: {@code @QuarkusTestResource(DevStackResource.class)}.
 * The app sees them through {@code kafka.bootstrap.servers} and {@code maws.s3.*}. The data
 * directory ({@code target/devstack} of the module, or the {@code maws.devstack.dir} system property)
 * is kept across restarts, so tests must use their own ids.
 *
 * <p>Another packaged service the app calls over gRPC can run beside it: an init arg
 * {@code service.NAME=path/to/quarkus-run.jar} starts that jar on the same stack (its output in
 * {@code target/NAME.log}) and points the app's gRPC client {@code NAME} at it
 * ({@code quarkus.grpc.clients.NAME.host/port}).
 */
public class DevStackResource implements QuarkusTestResourceLifecycleManager {
    private DevStack stack;
    private final Map<String, Path> services = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();

    @Override
    public void init(Map<String, String> initArgs) {
        initArgs.forEach((k, v) -> {
            if (k.startsWith("service.")) {
                services.put(k.substring("service.".length()), Path.of(v));
            }
        });
    }

    @Override
    public Map<String, String> start() {
        Path dir = Path.of(System.getProperty("maws.devstack.dir", "target/devstack"));
        stack = new DevStack(dir).start();
        Map<String, String> config = new HashMap<>(stack.serviceConfig());
        for (Map.Entry<String, Path> s : services.entrySet()) {
            if (!Files.exists(s.getValue())) {
                throw new IllegalStateException(s.getValue() + " is missing: package " + s.getKey() + " first "
                        + "(./mvnw -DskipTests install, or run the whole build)");
            }
            Map<String, String> env = new HashMap<>(stack.environment());
            env.put("MAWS_DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
            int port = ServiceProcess.freePort();
            try {
                processes.add(ServiceProcess.start(s.getValue(), env, port, Path.of("target/" + s.getKey() + ".log"),
                        Duration.ofMinutes(3)));
            } catch (Exception e) {
                stop();
                throw new IllegalStateException("cannot start " + s.getKey() + ": " + e.getMessage(), e);
            }
            config.put("quarkus.grpc.clients." + s.getKey() + ".host", "127.0.0.1"); // it listens on loopback only
            config.put("quarkus.grpc.clients." + s.getKey() + ".port", String.valueOf(port));
            // in tests Quarkus dials a client's test-port (9001 by default), not its port
            config.put("quarkus.grpc.clients." + s.getKey() + ".test-port", String.valueOf(port));
        }
        return config;
    }

    @Override
    public void stop() {
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }
}
