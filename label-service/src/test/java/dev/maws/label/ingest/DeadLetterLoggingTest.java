package dev.maws.label.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

class DeadLetterLoggingTest {
    private static LogRecord methodException(String method, Throwable cause) {
        LogRecord r = new LogRecord(Level.SEVERE, "SRMSG00200: The method %s has thrown an exception");
        r.setParameters(new Object[] {method});
        r.setThrown(cause);
        return r;
    }

    @Test
    void dropsOnlyTheConnectorsErrorForARecordThatWasDeadLettered() {
        DeadLetterLogFilter filter = new DeadLetterLogFilter();
        String process = CaptionProcessor.class.getName() + "#process";
        assertFalse(filter.isLoggable(methodException(process, new IllegalArgumentException("not a maws.v1.CaptionRecord"))));
        // a bug is not a bad record: still logged
        assertTrue(filter.isLoggable(methodException(process, new NullPointerException())));
        assertTrue(filter.isLoggable(methodException("some.Other#method", new IllegalArgumentException("x"))));
        assertTrue(filter.isLoggable(new LogRecord(Level.SEVERE, "SRMSG00201: something else")));
        assertTrue(filter.isLoggable(new LogRecord(Level.INFO, null)));
    }

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
