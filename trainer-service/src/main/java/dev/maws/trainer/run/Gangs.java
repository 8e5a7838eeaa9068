package dev.maws.trainer.run;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.maws.model.dist.ProcessGroup;
import dev.maws.trainer.data.DataPosition;

/** What the processes of a job exchange besides gradients, as int64s through c10d. */
final class Gangs {
    private Gangs() {}

    /** Rank 0's epoch offsets on every rank: {begin, end}, partition -> offset. */
    @SuppressWarnings("unchecked")
    static Map<Integer, Long>[] broadcastRange(ProcessGroup group, Map<Integer, Long> begin, Map<Integer, Long> end)
            throws IOException {
        int partitions = (int) group.broadcastFromRankZero(new long[] {begin.size()})[0];
        long[] flat = new long[3 * partitions];
        if (group.rank() == 0) {
            int i = 0;
            for (Map.Entry<Integer, Long> e : new TreeMap<>(begin).entrySet()) {
                flat[i++] = e.getKey();
                flat[i++] = e.getValue();
                flat[i++] = end.getOrDefault(e.getKey(), e.getValue());
            }
        }
        flat = group.broadcastFromRankZero(flat);
        Map<Integer, Long> b = new TreeMap<>();
        Map<Integer, Long> e = new TreeMap<>();
        for (int i = 0; i < partitions; i++) {
            b.put((int) flat[3 * i], flat[3 * i + 1]);
            e.put((int) flat[3 * i], flat[3 * i + 2]);
        }
        return new Map[] {b, e};
    }

    /**
     * Every rank's data position, by rank. The offsets are the job's (the same on every rank: all walk
     * rank 0's); what differs is how far each got and what each counted.
     */
    static List<DataPosition> gather(ProcessGroup group, DataPosition mine) throws IOException {
        DataPosition.Counters c = mine.counters();
        long[][] all = group.allGather(new long[] {mine.epoch(), mine.consumed(), mine.records(), c.images(), c.badImages(),
                c.badRecords(), c.unlabelled(), c.dropped(), c.deleted(), c.duplicates()});
        List<DataPosition> out = new ArrayList<>(all.length);
        for (long[] v : all) {
            out.add(new DataPosition((int) v[0], mine.begin(), mine.end(), v[1],
                    new DataPosition.Counters(v[3], v[4], v[5], v[6], v[7], v[8], v[9]), v[2]));
        }
        return out;
    }
}
