package dev.maws.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What every benchmark produces: a readable table on stdout and {@code target/bench/NAME.json} of
 * the shape {@code {"benchmark", "machine": {cores, jvm, device}, "results": [...], "goals": [...]}}.
 */
public final class BenchReport {
    /** One measured goal of an issue: {@code value} compared with {@code target} in {@code direction}. */
    public record Goal(String name, double value, double target, String direction, boolean met) {
        public static Goal atLeast(String name, double value, double target) {
            return new Goal(name, value, target, ">=", value >= target);
        }

        public static Goal atMost(String name, double value, double target) {
            return new Goal(name, value, target, "<=", value <= target);
        }
    }

    private final String benchmark;
    private final String device;
    private final List<Map<String, Object>> results = new ArrayList<>();
    private final List<Goal> goals = new ArrayList<>();

    public BenchReport(String benchmark, String device) {
        this.benchmark = benchmark;
        this.device = device;
    }

    /** One row of results; keys become the table's columns (insertion order). */
    public BenchReport result(Map<String, Object> row) {
        results.add(new LinkedHashMap<>(row));
        return this;
    }

    /** A row from alternating column names and values: {@code row("measurement", "x", "ms", 1.5)}. */
    public static Map<String, Object> row(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("row needs name, value pairs");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            r.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return r;
    }

    public BenchReport goal(Goal goal) {
        goals.add(goal);
        return this;
    }

    public static Map<String, Object> machine(String device) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("device", device);
        m.put("cpu", cpuModel());
        m.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        return m;
    }

    /** Prints the table and writes the JSON; returns the JSON's path. */
    public Path write(Path dir) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", benchmark);
        doc.put("machine", machine(device));
        doc.put("results", results);
        doc.put("goals", goals);
        System.out.println(table());
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(benchmark + ".json");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
            System.out.println("written " + file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String table() {
        StringBuilder sb = new StringBuilder();
        Map<String, Object> machine = machine(device);
        sb.append("== ").append(benchmark).append(" ==  ").append(machine.get("cores")).append(" cores, ")
                .append(machine.get("cpu")).append(", ").append(machine.get("jvm")).append(", device ").append(device)
                .append('\n');
        if (!results.isEmpty()) {
            List<String> columns = new ArrayList<>(results.get(0).keySet());
            List<List<String>> rows = new ArrayList<>();
            rows.add(columns);
            for (Map<String, Object> r : results) {
                rows.add(columns.stream().map(c -> format(r.get(c))).toList());
            }
            appendTable(sb, rows);
        }
        if (!goals.isEmpty()) {
            sb.append('\n');
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("goal", "measured", "target", "met"));
            for (Goal g : goals) {
                rows.add(List.of(g.name(), format(g.value()), g.direction() + " " + format(g.target()), g.met() ? "yes" : "NO"));
            }
            appendTable(sb, rows);
        }
        return sb.toString();
    }

    private static void appendTable(StringBuilder sb, List<List<String>> rows) {
        int[] widths = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            for (int i = 0; i < row.size(); i++) {
                sb.append(i == 0 ? String.format("%-" + widths[i] + "s", row.get(i))
                        : "  " + String.format("%" + widths[i] + "s", row.get(i)));
            }
            sb.append('\n');
            if (r == 0) {
                for (int i = 0; i < widths.length; i++) {
                    sb.append(i == 0 ? "" : "  ").append("-".repeat(widths[i]));
                }
                sb.append('\n');
            }
        }
    }

    private static String format(Object v) {
        if (v instanceof Double d) {
            double a = Math.abs(d);
            return a != 0 && (a < 0.01 || a >= 1e6) ? String.format(Locale.ROOT, "%.3g", d)
                    : String.format(Locale.ROOT, a < 10 ? "%.3f" : "%.1f", d);
        }
        return String.valueOf(v);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture is the best we know
        }
        return System.getProperty("os.arch");
    }
}
