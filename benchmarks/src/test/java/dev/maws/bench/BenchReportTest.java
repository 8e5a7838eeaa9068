package dev.maws.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class BenchReportTest {
    @TempDir
    Path dir;

    @Test
    void writesTheAgreedJsonShapeAndATable() throws Exception {
        BenchReport report = new BenchReport("demo", "cpu")
                .result(Map.of("measurement", "x", "value", 12.5))
                .goal(BenchReport.Goal.atLeast("throughput", 90, 80))
                .goal(BenchReport.Goal.atMost("latency", 3, 2));
        JsonNode doc = new ObjectMapper().readTree(report.write(dir).toFile());
        assertEquals("demo", doc.get("benchmark").asText());
        assertEquals(Runtime.getRuntime().availableProcessors(), doc.at("/machine/cores").asInt());
        assertEquals("cpu", doc.at("/machine/device").asText());
        assertTrue(doc.at("/machine/jvm").asText().length() > 0);
        assertEquals(12.5, doc.at("/results/0/value").asDouble());
        assertEquals(">=", doc.at("/goals/0/direction").asText());
        assertTrue(doc.at("/goals/0/met").asBoolean());
        assertFalse(doc.at("/goals/1/met").asBoolean());
        String table = report.table();
        assertTrue(table.contains("throughput") && table.contains("NO"), table);
    }

    @Test
    void percentilesPickFromTheSortedSample() {
        List<Double> xs = List.of(5.0, 1.0, 4.0, 2.0, 3.0);
        assertEquals(3.0, DevStackBenchmark.median(xs));
        assertEquals(5.0, DevStackBenchmark.percentile(xs, 99));
        assertEquals(1.0, DevStackBenchmark.percentile(xs, 1));
    }
}
