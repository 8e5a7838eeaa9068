package dev.maws.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Where a step's time goes: PyTorch's profiler (through DJL's JniUtils) records every op; self time
 * (an op's duration minus the ops it called) is summed into categories, and whatever the step took
 * beyond all op time is Java, JNI and Python-free glue.
 */
final class OpProfile {
    private OpProfile() {}

    /** Runs {@code work} under the profiler; seconds per category, which add up to the wall time. */
    static Map<String, Double> measure(Runnable work) throws IOException {
        Path trace = Files.createTempFile("maws-profile", ".json");
        JniUtils.startProfile(false, false, false);
        long t0 = System.nanoTime();
        try {
            work.run();
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> byCategory = selfTimes(trace);
        Files.deleteIfExists(trace);
        double ops = byCategory.values().stream().mapToDouble(Double::doubleValue).sum();
        byCategory.put("outside ops (Java, JNI, profiler)", Math.max(0, wall - ops));
        return byCategory;
    }

    private record Event(String name, double start, double end, long tid) {}

    static Map<String, Double> selfTimes(Path trace) throws IOException {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.has("traceEvents") ? root.get("traceEvents") : root;
        List<Event> all = new ArrayList<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText()) || !e.has("dur")) {
                continue;
            }
            double ts = e.get("ts").asDouble();
            all.add(new Event(e.get("name").asText(), ts, ts + e.get("dur").asDouble(), e.path("tid").asLong()));
        }
        // parents first: earlier start, and for equal starts the longer one
        all.sort(Comparator.comparingLong(Event::tid).thenComparingDouble(Event::start)
                .thenComparing(Comparator.comparingDouble(Event::end).reversed()));
        Map<String, Double> self = new LinkedHashMap<>();
        Deque<Event> stack = new ArrayDeque<>();
        Map<Event, Double> childTime = new java.util.HashMap<>();
        for (Event e : all) {
            while (!stack.isEmpty() && (stack.peek().tid() != e.tid() || stack.peek().end() <= e.start())) {
                close(stack.pop(), childTime, self);
            }
            if (!stack.isEmpty()) {
                childTime.merge(stack.peek(), e.end() - e.start(), Double::sum);
            }
            stack.push(e);
        }
        while (!stack.isEmpty()) {
            close(stack.pop(), childTime, self);
        }
        return self;
    }

    private static void close(Event e, Map<Event, Double> childTime, Map<String, Double> self) {
        double own = (e.end() - e.start()) - childTime.getOrDefault(e, 0.0);
        self.merge(category(e.name()), Math.max(0, own) / 1e6, Double::sum);
        childTime.remove(e);
    }

    static String category(String op) {
        String n = op.replace("aten::", "");
        if (n.equals("addmm") || n.equals("mm") || n.equals("linear") || n.equals("matmul")) {
            return "matmul (linear layers)";
        }
        if (n.equals("bmm") || n.equals("baddbmm")) {
            return "batched matmul (attention)";
        }
        if (n.contains("backward") || n.startsWith("autograd")) {
            return "autograd bookkeeping";
        }
        if (n.equals("copy_") || n.equals("clone") || n.equals("contiguous") || n.equals("empty") || n.equals("empty_like")
                || n.equals("zeros") || n.equals("zero_") || n.equals("fill_") || n.equals("to") || n.equals("_to_copy")
                || n.equals("empty_strided") || n.equals("resize_")) {
            return "copies and allocation";
        }
        if (n.equals("view") || n.equals("reshape") || n.equals("transpose") || n.equals("permute") || n.equals("expand")
                || n.equals("slice") || n.equals("select") || n.equals("split") || n.equals("narrow") || n.equals("as_strided")
                || n.equals("t") || n.equals("unsqueeze") || n.equals("_unsafe_view") || n.equals("detach")) {
            return "views (reshape, transpose, slice)";
        }
        return "element-wise and reductions";
    }
}
