package dev.maws.trainer.run;

import dev.maws.model.dist.ProcessGroup;

/**
 * This process's place in a job of several processes: its c10d group, and its local rank (which GPU of
 * its node it takes when the job's device is "gpu").
 */
public record Gang(ProcessGroup group, int localRank) implements AutoCloseable {
    public int rank() {
        return group.rank();
    }

    public int world() {
        return group.worldSize();
    }

    @Override
    public void close() {
        group.close();
    }
}
