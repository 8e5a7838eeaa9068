package dev.maws.trainer.job;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.maws.model.dist.LaunchEnv;
import dev.maws.model.dist.ProcessGroup;
import dev.maws.trainer.run.Gang;

/**
 * A job of several processes on this machine: this trainer is rank 0, and starts ranks 1..N-1 as
 * worker processes of its own packaged jar (worker mode, {@code maws.trainer.worker.job}) with the
 * launch environment of PyTorchJob on loopback; all meet at c10d's TCPStore, served by rank 0. A
 * worker follows this trainer's JVM options and config, and ends with it (ParentWatch). Closing the
 * gang leaves the group and stops the workers.
 */
final class LocalGang implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalGang.class);
    private static final String RUNNER = "quarkus-run.jar";

    private final List<Process> workers;
    private final Gang gang;

    private LocalGang(List<Process> workers, Gang gang) {
        this.workers = workers;
        this.gang = gang;
    }

    /**
     * Starts the workers of a job of {@code processes} and joins them as rank 0.
     *
     * @throws IllegalStateException when this trainer does not run from its packaged jar (no worker to start)
     * @throws IOException when the workers do not all join within {@code joinTimeout}
     */
    static LocalGang start(String jobId, int processes, Duration joinTimeout, Duration timeout) throws IOException {
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.endsWith(RUNNER)) {
            throw new IllegalStateException("a job of " + processes + " processes starts its workers from the packaged "
                    + "trainer (java -jar trainer-service/target/quarkus-app/" + RUNNER + "); this trainer runs from a class "
                    + "path without it (dev or test mode)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / processes);
        List<Process> workers = new ArrayList<>();
        try {
            for (int rank = 1; rank < processes; rank++) {
                workers.add(launch(classPath, jobId, rank, processes, port, threads));
            }
            ProcessGroup group = ProcessGroup.join(new LaunchEnv("127.0.0.1", port, processes, 0), joinTimeout, timeout);
            LOG.infof("%s: %d processes joined on 127.0.0.1:%d (workers: pids %s)", jobId, processes, port,
                    workers.stream().map(p -> String.valueOf(p.pid())).toList());
            return new LocalGang(workers, new Gang(group, 0));
        } catch (IOException | RuntimeException e) {
            workers.forEach(Process::destroyForcibly);
            throw e;
        }
    }

    private static Process launch(String classPath, String jobId, int rank, int world, int port, int threads)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // this trainer's options (heap, -D config) first: the later settings win
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib:jdwp")).toList());
        command.add("-Dmaws.parent-pid=" + ProcessHandle.current().pid());
        command.add("-Dmaws.trainer.worker.job=" + jobId);
        command.add("-Dmaws.trainer.resume-on-start=false");
        command.add("-Dquarkus.http.port=0");
        command.add("-Dquarkus.http.host=127.0.0.1");
        command.add("-Dai.djl.pytorch.num_threads=" + threads);
        command.add("-jar");
        command.add(classPath);
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("MASTER_ADDR", "127.0.0.1");
        pb.environment().put("MASTER_PORT", String.valueOf(port));
        pb.environment().put("WORLD_SIZE", String.valueOf(world));
        pb.environment().put("RANK", String.valueOf(rank));
        pb.environment().put("LOCAL_RANK", String.valueOf(rank));
        pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
        return pb.start();
    }

    /** What rank 0 does in a gang: the job's training run as its process. */
    @FunctionalInterface
    interface RankZero {
        dev.maws.proto.v1.Job run(Gang gang) throws Exception;
    }

    /**
     * Starts the gang of a job of {@code processes}, runs {@code rankZero} in it and stops the workers.
     *
     * @throws LostWorkerException when the run failed and a worker had ended with a failure (what it is blamed on)
     */
    static dev.maws.proto.v1.Job run(String jobId, int processes, dev.maws.trainer.TrainerConfig.Gang config, RankZero rankZero)
            throws Exception {
        try (LocalGang local = start(jobId, processes, config.joinTimeout(), config.timeout())) {
            try {
                return rankZero.run(local.gang);
            } catch (Exception e) {
                Optional<String> lost = local.lostWorker(Duration.ofSeconds(5));
                if (lost.isPresent()) {
                    throw new LostWorkerException(lost.get() + " (" + e.getMessage() + ")", e);
                }
                throw e;
            }
        }
    }

    /** A worker process of the running job's gang ended with a failure: the gang starts again from its last checkpoint. */
    static final class LostWorkerException extends Exception {
        LostWorkerException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The first worker that ended with a failure, waiting up to {@code wait} for one to end (a worker that
     * lost rank 0 ends by itself): what a failed collective on rank 0 is blamed on.
     */
    Optional<String> lostWorker(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        do {
            for (int i = 0; i < workers.size(); i++) {
                Process p = workers.get(i);
                if (!p.isAlive() && p.exitValue() != 0) {
                    return Optional.of("worker rank " + (i + 1) + " (pid " + p.pid() + ") ended with exit code " + p.exitValue());
                }
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return Optional.empty();
    }

    @Override
    public void close() {
        gang.close();
        for (Process p : workers) {
            p.destroy();
        }
        for (Process p : workers) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
