package dev.maws.label.ingest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;

class BatchAcksTest {
    @Test
    void completesOnlyWhenEverySendIsAcknowledgedAndNoMoreAreComing() {
        BatchAcks acks = new BatchAcks();
        BatchAcks first = acks.expectOne();
        BatchAcks second = acks.expectOne();
        first.onCompletion(null, null);
        second.onCompletion(null, null); // all acknowledged, but the batch is still being sent
        acks.expectOne();
        CompletableFuture<Void> done = acks.allSent();
        assertFalse(done.isDone());
        acks.onCompletion(null, null);
        assertTrue(done.isDone() && !done.isCompletedExceptionally());
    }

    @Test
    void anEmptyBatchIsDoneAtOnce() {
        assertTrue(new BatchAcks().allSent().isDone());
    }

    @Test
    void failsWithTheFirstFailedSendAfterAllHaveSettled() {
        BatchAcks acks = new BatchAcks();
        acks.expectOne();
        acks.expectOne();
        acks.expectOne();
        CompletableFuture<Void> done = acks.allSent();
        RuntimeException timeout = new RuntimeException("delivery timed out");
        acks.onCompletion(null, timeout);
        acks.onCompletion(null, new RuntimeException("second"));
        assertFalse(done.isDone(), "a failure does not end the batch while sends are outstanding");
        acks.onCompletion(null, null);
        ExecutionException e = assertThrows(ExecutionException.class, done::get);
        assertSame(timeout, e.getCause());
    }
}
