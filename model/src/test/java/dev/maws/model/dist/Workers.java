package dev.maws.model.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Worker JVMs of a job on loopback, as a launcher would start them: this test JVM's classpath and DJL settings. */
final class Workers {
    private Workers() {}

    /**
     * Starts {@code world} JVMs running {@code main} with {@code args}, each with the PyTorchJob
     * variables of its rank and one intra-op thread; rank r's output goes to {@code logs.resolve(name + "-" + r + ".log")}.
     */
    static List<Process> start(Class<?> main, int world, Path logs, String name, String... args) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> procs = new ArrayList<>();
        for (int rank = 0; rank < world; rank++) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-cp", System.getProperty("java.class.path")));
            for (String p : List.of("ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR")) {
                if (System.getProperty(p) != null) {
                    cmd.add("-D" + p + "=" + System.getProperty(p));
                }
            }
            cmd.add(main.getName());
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(logs.resolve(name + "-" + rank + ".log").toFile());
            pb.environment().putAll(Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port), "WORLD_SIZE",
                    Integer.toString(world), "RANK", Integer.toString(rank), "OMP_NUM_THREADS", "1"));
            procs.add(pb.start());
        }
        return procs;
    }
}
