package dev.maws.bench;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ./bench NAME [args]}: runs one benchmark, prints its table and writes
 * {@code target/bench/NAME.json}. Benchmarks never run in CI.
 */
public final class BenchMain {
    /** A benchmark: gets its arguments and the report directory. */
    public interface Benchmark {
        void run(String[] args, Path outDir) throws Exception;
    }

    static final Map<String, Benchmark> BENCHMARKS = new TreeMap<>(Map.of(
            "devstack", new DevStackBenchmark(),
            "model", new ModelBenchmark(),
            "label", new LabelBenchmark(),
            "trainer", new TrainerBenchmark(),
            "inference", new InferenceBenchmark(),
            "scale", new ScaleBenchmark(),
            "data", new DataBenchmark(),
            "shards", new ShardsBenchmark()));

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || !BENCHMARKS.containsKey(args[0])) {
            if (args.length > 0 && !args[0].startsWith("-")) {
                System.err.println("unknown benchmark: " + args[0]);
            }
            System.err.println("usage: ./bench NAME [args]   benchmarks: " + String.join(", ", BENCHMARKS.keySet()));
            System.exit(args.length == 0 || args[0].startsWith("-") ? 0 : 2);
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        BENCHMARKS.get(args[0]).run(rest, Path.of(System.getProperty("maws.bench.dir", "target/bench")));
    }
}
