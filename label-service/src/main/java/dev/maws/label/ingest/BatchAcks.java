package dev.maws.label.ingest;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Completes once every send of a batch has been acknowledged by the broker, or fails with the first
 * send that failed. One counter for the whole batch instead of one future per record.
 */
final class BatchAcks implements Callback {
    private final AtomicInteger pending = new AtomicInteger(1); // 1 = still adding sends
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /** Call before each send; the send's callback must be this. */
    BatchAcks expectOne() {
        pending.incrementAndGet();
        return this;
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception exception) {
        if (exception != null) {
            failure.compareAndSet(null, exception);
        }
        settle();
    }

    /** No more sends will be added: the future completes when the last outstanding one is acknowledged. */
    CompletableFuture<Void> allSent() {
        settle();
        return done;
    }

    private void settle() {
        if (pending.decrementAndGet() == 0) {
            Exception e = failure.get();
            if (e == null) {
                done.complete(null);
            } else {
                done.completeExceptionally(e);
            }
        }
    }
}
