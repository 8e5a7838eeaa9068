package dev.maws.trainer.data;

/** The input pipeline cannot go on (too many bad images, an epoch smaller than a batch, Kafka gone). */
public final class DataException extends RuntimeException {
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
