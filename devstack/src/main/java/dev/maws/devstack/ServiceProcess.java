package dev.maws.devstack;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A packaged service ({@code target/quarkus-app/quarkus-run.jar}) as a child process, for tests that
 * kill it with SIGKILL and start it again: started with the given environment on a fixed port, and
 * returned once {@code /q/health/ready} answers 200.
 */
public final class ServiceProcess {
    private ServiceProcess() {}

    /** A free loopback port for the service. */
    public static int freePort() {
        return FreePorts.next();
    }

    /**
     * @param env added to this process's environment (e.g. {@link DevStack#environment()})
     * @param log where the service's stdout and stderr go
     * @throws IllegalStateException when the process exits or is not ready within {@code timeout}
     */
    public static Process start(Path jar, Map<String, String> env, int port, Path log, Duration timeout) throws IOException,
            InterruptedException {
        return start(jar, List.of("-Xmx1g"), env, port, log, timeout);
    }

    /** @param jvmOptions options before {@code -jar} (heap size, {@code -Dquarkus...} properties) */
    public static Process start(Path jar, List<String> jvmOptions, Map<String, String> env, int port, Path log,
            Duration timeout) throws IOException, InterruptedException {
        Process p = launch(jar, jvmOptions, env, port, log);
        awaitReady(p, jar, port, log, timeout);
        return p;
    }

    /**
     * Starts the service without waiting: a caller that must be able to stop it whatever happens
     * (a shutdown hook) records the process before {@link #awaitReady}.
     */
    public static Process launch(Path jar, List<String> jvmOptions, Map<String, String> env, int port, Path log)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        command.add(java);
        // the service ends when this process does, even killed with SIGKILL (platform's ParentWatch)
        command.add("-Dmaws.parent-pid=" + ProcessHandle.current().pid());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.environment().put("QUARKUS_HTTP_PORT", String.valueOf(port));
        // loopback only: a local run must not offer unauthenticated calls (freeze, evaluations) to the network
        pb.environment().putIfAbsent("QUARKUS_HTTP_HOST", "127.0.0.1");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    /**
     * Returns once {@code /q/health/ready} answers 200.
     *
     * @throws IllegalStateException when the process exits first, or is not ready within {@code timeout}
     *     (then it is killed)
     */
    public static void awaitReady(Process p, Path jar, int port, Path log, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(jar + " exited with " + p.exitValue() + "; see " + log);
            }
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/q/health/ready").toURL().openConnection();
                c.setConnectTimeout(2000); // a process that accepts and never answers must not outlast the deadline
                c.setReadTimeout(2000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new IllegalStateException(jar + " was not ready in " + timeout + "; see " + log);
    }
}
