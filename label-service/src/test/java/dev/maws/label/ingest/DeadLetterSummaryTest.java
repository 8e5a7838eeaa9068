package dev.maws.label.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class DeadLetterSummaryTest {
    @Test
    void summaryReportsTheFirstRecordAtOnceThenOncePerInterval() {
        AtomicLong now = new AtomicLong();
        List<String> reports = new ArrayList<>();
        DeadLetterSummary summary = new DeadLetterSummary(10, now::get, (count, reason) -> reports.add(count + " " + reason));
        summary.record("a");
        now.set(5);
        summary.record("b");
        summary.record("c");
        assertEquals(List.of("1 a"), reports);
        now.set(10);
        summary.record("d");
        assertEquals(List.of("1 a", "3 d"), reports);
        now.set(100);
        summary.record("e");
        assertEquals(List.of("1 a", "3 d", "1 e"), reports);
    }
}
