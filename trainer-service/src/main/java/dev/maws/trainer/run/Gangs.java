package dev.maws.trainer.run;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.maws.model.dist.ProcessGroup;
import dev.maws.model.nn.Parameters;
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

    /** How far the processes' parameter sums may differ, relatively: rounding, not a different model. */
    static final double SAME_PARAMETERS = 1e-5;

    /**
     * Fails unless every process holds the same parameters: each one's sums of |x| and x² of every tensor,
     * in float64, compared across the processes. They apply the same update to the same values, so any
     * real difference is a fault (a process that missed a step, a bad all-reduce), caught at the
     * checkpoint rather than trained on. The sums are compared within {@link #SAME_PARAMETERS}: a
     * reduction's rounding depends on a process's thread count, and gradient clipping reduces.
     */
    static void checkSameParameters(ProcessGroup group, Parameters params, long step) throws IOException {
        List<Parameters.Parameter> all = params.all();
        long[] mine = new long[2 * all.size()];
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            for (int i = 0; i < all.size(); i++) {
                ai.djl.ndarray.NDArray x = all.get(i).array().toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                mine[2 * i] = Double.doubleToRawLongBits(x.abs().sum().getDouble());
                mine[2 * i + 1] = Double.doubleToRawLongBits(x.square().sum().getDouble());
            }
        }
        long[][] sums = group.allGather(mine);
        for (int r = 1; r < sums.length; r++) {
            for (int j = 0; j < mine.length; j++) {
                double a = Double.longBitsToDouble(sums[0][j]);
                double b = Double.longBitsToDouble(sums[r][j]);
                if (!(Math.abs(a - b) <= SAME_PARAMETERS * Math.max(Math.abs(a), 1e-30))) {
                    throw new IllegalStateException("after step " + step + " the parameters of process " + r + " differ from "
                            + "process 0's (" + all.get(j / 2).name() + ": " + (j % 2 == 0 ? "sum |x|" : "sum x²") + " " + b
                            + " against " + a + "): the processes no longer train one model");
                }
            }
        }
    }

    /**
     * Every rank's data position, by rank. The offsets are the job's (the same on every rank: all walk
     * rank 0's); what differs is how far each got (streaming shards: in its own shards) and what each counted.
     */
    static List<DataPosition> gather(ProcessGroup group, DataPosition mine) throws IOException {
        DataPosition.Counters c = mine.counters();
        long[][] all = group.allGather(new long[] {mine.epoch(), mine.consumed(), mine.records(), c.images(), c.badImages(),
                c.badRecords(), c.unlabelled(), c.dropped(), c.deleted(), c.duplicates(), mine.shard(), mine.member()});
        List<DataPosition> out = new ArrayList<>(all.length);
        for (long[] v : all) {
            out.add(new DataPosition((int) v[0], mine.begin(), mine.end(), v[1],
                    new DataPosition.Counters(v[3], v[4], v[5], v[6], v[7], v[8], v[9]), v[2], v[10], v[11]));
        }
        return out;
    }
}
