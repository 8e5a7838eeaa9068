package dev.maws.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The devstack ({@code DevStackMain}) as a child process, the way {@code ./maws} starts it: ready
 * once it has written its {@code --env-file}.
 */
final class DevStackProcess {
    private DevStackProcess() {}

    /**
     * Waits until {@code p} has written {@code envFile}; kills it and throws when it exits first or
     * {@code timeout} passes.
     */
    static void awaitEnvFile(Process p, Path envFile, Path log, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(envFile)) {
            if (!p.isAlive()) {
                throw new IllegalStateException("devstack exited with " + p.exitValue() + "; see " + log);
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("devstack did not start in " + timeout + "; see " + log);
            }
            Thread.sleep(20);
        }
    }

    /** The {@code NAME=value} lines of an env file (DevStack's {@code environment()}), in file order. */
    static Map<String, String> readEnvFile(Path envFile) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(envFile)) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return env;
    }
}
