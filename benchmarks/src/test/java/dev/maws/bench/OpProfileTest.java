package dev.maws.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpProfileTest {
    @TempDir
    Path dir;

    @Test
    void selfTimeSubtractsNestedOpsPerThread() throws Exception {
        // linear 0-100 us calls addmm 10-90; on another thread gelu 0-30 overlaps in time but is not a child
        Path trace = dir.resolve("trace.json");
        Files.writeString(trace, """
                [{"name": "aten::linear", "ph": "X", "ts": 0, "dur": 100, "tid": 1},
                 {"name": "aten::addmm", "ph": "X", "ts": 10, "dur": 80, "tid": 1},
                 {"name": "aten::t", "ph": "X", "ts": 92, "dur": 5, "tid": 1},
                 {"name": "aten::gelu", "ph": "X", "ts": 0, "dur": 30, "tid": 2},
                 {"name": "instant", "ph": "i", "ts": 5, "tid": 1}]
                """);
        Map<String, Double> self = OpProfile.selfTimes(trace);
        // linear's own 15 us and addmm's 80 us are both matmul; t is a view; gelu element-wise
        assertEquals(95e-6, self.get("matmul (linear layers)"), 1e-12);
        assertEquals(5e-6, self.get("views (reshape, transpose, slice)"), 1e-12);
        assertEquals(30e-6, self.get("element-wise and reductions"), 1e-12);
        assertEquals(3, self.size());
    }
}
