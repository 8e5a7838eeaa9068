package dev.maws.e2e;

import java.time.Duration;

/**
 * Fails the run when what is polled (a job's state and step, an evaluation's progress) has not
 * changed for {@code limit}, instead of hanging it, and CI with it, forever.
 */
final class Stall {
    private final String what;
    private final Duration limit;
    private String seen;
    private long since = System.nanoTime();

    /** @param what names the thing polled and where its log is, for the message */
    Stall(String what, Duration limit) {
        this.what = what;
        this.limit = limit;
    }

    /** @param observed what was polled just now, as text: equal text means no progress */
    void check(String observed) {
        if (!observed.equals(seen)) {
            seen = observed;
            since = System.nanoTime();
        } else if (System.nanoTime() - since > limit.toNanos()) {
            throw new IllegalStateException(what + " has been at " + observed + " for " + limit.toMinutes() + " minutes");
        }
    }
}
