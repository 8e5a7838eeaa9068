package dev.maws.trainer.job;

import java.util.List;

/** A job spec that cannot run; the message lists every problem, each saying what to fix. */
public final class InvalidSpecException extends IllegalArgumentException {
    private final List<String> problems;

    public InvalidSpecException(List<String> problems) {
        super("invalid job spec: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
