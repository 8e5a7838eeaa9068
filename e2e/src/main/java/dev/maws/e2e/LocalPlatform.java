package dev.maws.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.ServiceProcess;
import dev.maws.platform.objectstore.ObjectStore;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

/**
 * The platform on one machine: a fresh devstack (Kafka + S3) in this JVM and the three packaged
 * services as child processes on free ports, each waited for until {@code /q/health/ready} is UP.
 * {@link #close()} stops them all; it also runs on Ctrl-C (a shutdown hook), so nothing is left
 * behind. A service can be killed with SIGKILL and started again on the same port.
 */
public final class LocalPlatform implements AutoCloseable {
    public static final List<String> SERVICES = List.of("label-service", "trainer-service", "inference-service");
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

    private final Path root;
    private final Path state;
    private final DevStack stack;
    private final String trainerToken;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
    private final ObjectStore store;
    private final Thread hook = new Thread(this::stopAll, "maws-platform-stop");
    private boolean stopped;

    /**
     * @param root the repository root (each service's {@code target/quarkus-app} is under it)
     * @param state Kafka/S3 data, logs, DJL's native cache; the Kafka and S3 data are wiped first
     */
    public LocalPlatform(Path root, Path state, String trainerToken) throws IOException {
        this.root = root;
        this.state = state;
        this.trainerToken = trainerToken;
        for (String s : SERVICES) {
            Path jar = jar(s);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build first (./mvnw -DskipTests install)");
            }
        }
        Files.createDirectories(state.resolve("logs"));
        // the devstack runs in this JVM and ends with it; the hook is for the service processes, which
        // are started only once it is up (registered before, it met a null stack when the start failed)
        this.stack = DevStack.fresh(state.resolve("devstack")).start();
        this.store = new ObjectStore(stack.s3Endpoint(), "us-east-1", stack.s3AccessKey(), stack.s3SecretKey(),
                DevStack.BUCKET);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public DevStack stack() {
        return stack;
    }

    public ObjectStore store() {
        return store;
    }

    public String trainerToken() {
        return trainerToken;
    }

    private Path jar(String service) {
        return root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
    }

    public Path log(String service) {
        return state.resolve("logs").resolve(service + ".log");
    }

    /** Starts every service: label-service first, inference-service pointed at it for class names. */
    public void startAll() throws IOException, InterruptedException {
        for (String s : SERVICES) {
            ports.put(s, ServiceProcess.freePort());
        }
        for (String s : SERVICES) {
            start(s);
        }
    }

    /** Starts (or restarts) one service on its port and waits until it is ready. */
    public void start(String service) throws IOException, InterruptedException {
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + (service.equals("label-service") ? "1g" : "3g")));
        if (service.equals("inference-service")) {
            jvm.add("-Dquarkus.grpc.clients.label-service.host=127.0.0.1");
            jvm.add("-Dquarkus.grpc.clients.label-service.port=" + ports.get("label-service"));
        }
        Map<String, String> env = new LinkedHashMap<>(stack.environment());
        env.put("MAWS_DJL_CACHE_DIR", state.resolve("djl-cache").toString());
        env.put("MAWS_TRAINER_API_TOKEN", trainerToken);
        String extra = System.getenv("MAWS_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            jvm.addAll(List.of(extra.trim().split("\\s+")));
        }
        Process p;
        synchronized (this) { // recorded before the wait, so that stopping (Ctrl-C, SIGTERM) meanwhile stops it too
            if (stopped) {
                throw new IllegalStateException("the platform is stopping; not starting " + service);
            }
            p = ServiceProcess.launch(jar(service), jvm, env, ports.get(service), log(service));
            processes.put(service, p);
        }
        ServiceProcess.awaitReady(p, jar(service), ports.get(service), log(service), READY_TIMEOUT);
    }

    /** SIGKILL, as a crash or an OOM kill would: no shutdown hook of the service runs. */
    public void kill(String service) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = processes.remove(service);
        }
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Whether the service's process is alive (started and not exited or killed since). */
    public synchronized boolean running(String service) {
        Process p = processes.get(service);
        return p != null && p.isAlive();
    }

    public String url(String service) {
        return "http://127.0.0.1:" + ports.get(service);
    }

    /** A plaintext gRPC channel to a service's port (gRPC shares the HTTP port). */
    public synchronized ManagedChannel channel(String service) {
        return channels.computeIfAbsent(service,
                s -> ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(s)).usePlaintext()
                        .maxInboundMessageSize(64 << 20).build());
    }

    private synchronized void stopAll() {
        if (stopped) {
            return;
        }
        stopped = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
        List<String> names = new ArrayList<>(processes.keySet());
        java.util.Collections.reverse(names);
        for (String s : names) {
            processes.get(s).destroy(); // SIGTERM: Quarkus shuts down cleanly
        }
        for (String s : names) {
            Process p = processes.get(s);
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        try {
            store.close();
        } catch (RuntimeException e) {
            // the stack goes next anyway
        }
        stack.close();
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is what called us
        }
    }
}
