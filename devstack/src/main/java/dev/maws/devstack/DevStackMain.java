package dev.maws.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar devstack/target/devstack.jar [--data-dir DIR] [--fresh] [--env-file FILE] [--parent-pid PID]}: starts Kafka +
 * S3, prints their addresses, optionally writes them as {@code NAME=value} lines for a launcher to
 * source, and runs until Ctrl-C (SIGINT/SIGTERM), which stops both.
 */
public final class DevStackMain {
    private DevStackMain() {}

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of("target", "devstack");
        Path envFile = null;
        boolean fresh = false;
        long parentPid = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir"));
                case "--env-file" -> envFile = Path.of(value(args, ++i, "--env-file"));
                case "--fresh" -> fresh = true;
                case "--parent-pid" -> {
                    String v = value(args, ++i, "--parent-pid");
                    if (!v.matches("[1-9][0-9]{0,18}")) {
                        System.err.println("--parent-pid needs a process id, got " + v);
                        System.exit(2);
                    }
                    parentPid = Long.parseLong(v);
                }
                case "-h", "--help" -> {
                    System.out.println("usage: devstack [--data-dir DIR] [--fresh] [--env-file FILE] [--parent-pid PID]\n"
                            + "  --data-dir DIR   where Kafka logs and S3 objects live (default target/devstack); reused on restart\n"
                            + "  --fresh          empty the data dir first: no topic, record or object of an earlier run\n"
                            + "  --env-file FILE  also write the service configuration as NAME=value lines to FILE\n"
                            + "  --parent-pid PID stop when process PID exits (the launcher, even if it was killed)");
                    return;
                }
                default -> {
                    System.err.println("unknown argument: " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }

        DevStack stack = fresh ? DevStack.fresh(dataDir) : new DevStack(dataDir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("devstack: stopping Kafka and S3");
            stack.close();
            stopped.countDown();
        }, "devstack-shutdown"));
        stack.start();
        if (parentPid > 0) {
            long pid = parentPid;
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::onExit)
                    .orElse(java.util.concurrent.CompletableFuture.completedFuture(null)).thenRun(() -> {
                        System.out.println("devstack: process " + pid + " that started it is gone; stopping");
                        System.exit(0);
                    });
        }

        System.out.printf("devstack: started in %.1f s (data in %s)%n", stack.startTime().toMillis() / 1000.0,
                dataDir.toAbsolutePath());
        System.out.println("  Kafka bootstrap servers  " + stack.kafkaBootstrapServers());
        System.out.println("  S3 endpoint              " + stack.s3Endpoint() + "  (path-style, SigV4, region "
                + EmbeddedS3.REGION + ")");
        System.out.println("  S3 access key           " + stack.s3AccessKey());
        System.out.println("  S3 secret key            " + stack.s3SecretKey());
        System.out.println("  bucket                   " + DevStack.BUCKET);
        System.out.println("  topics                   " + DevStack.TOPIC_CAPTIONS + ", " + DevStack.TOPIC_LABELED_IMAGES
                + ", " + DevStack.TOPIC_CAPTIONS_DLQ);
        if (envFile != null) {
            writeEnvFile(envFile, stack.environment());
            System.out.println("  environment written to   " + envFile);
        }
        System.out.println("devstack: ready; Ctrl-C stops it");
        System.out.flush();
        stopped.await();
    }

    /** Written to a temporary file and moved, so a reader polling for the file never sees half of it. */
    private static void writeEnvFile(Path file, Map<String, String> env) throws IOException {
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), ".devstack-env", ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            System.err.println(flag + " needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
