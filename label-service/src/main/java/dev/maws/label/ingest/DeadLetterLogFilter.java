package dev.maws.label.ingest;

import java.util.Arrays;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

import io.quarkus.logging.LoggingFilter;

/**
 * Drops SmallRye Reactive Messaging's ERROR "SRMSG00200: The method ...CaptionProcessor#process has
 * thrown an exception" when the exception is an {@link IllegalArgumentException}: that is how an
 * unusable caption record is sent to {@code captions.dlq}, an expected outcome with its reason in the
 * record's headers, counted in {@code maws_captions_rejected_total} and summarised by
 * {@link CaptionProcessor} at most every few seconds. A producer sending garbage would otherwise fill
 * the log with one ERROR and a stack trace per record. Any other exception is still logged.
 */
@LoggingFilter(name = "caption-dead-letters")
public final class DeadLetterLogFilter implements Filter {
    static final String METHOD_EXCEPTION = "SRMSG00200";

    @Override
    public boolean isLoggable(LogRecord record) {
        String message = record.getMessage();
        if (message == null || !message.startsWith(METHOD_EXCEPTION) || !(record.getThrown() instanceof IllegalArgumentException)) {
            return true;
        }
        Object[] parameters = record.getParameters();
        return parameters == null
                || Arrays.stream(parameters).noneMatch(p -> String.valueOf(p).startsWith(CaptionProcessor.class.getName() + "#"));
    }
}
