package dev.maws.model.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * One worker of {@link ProcessGroupTest}, a JVM of its own: joins the job its environment describes,
 * all-reduces arrays whose values depend on its rank, prints what it got.
 */
public final class AllReduceWorker {
    /** Array i holds (rank + 1) * (i + 1) everywhere; the shapes span buckets and scalars. */
    static final List<Shape> SHAPES = List.of(new Shape(3, 4), new Shape(1), new Shape(7_000_000), new Shape(2, 2, 2));

    private AllReduceWorker() {}

    public static void main(String[] args) throws Exception {
        LaunchEnv env = LaunchEnv.from(Map.copyOf(System.getenv()));
        try (NDManager m = NDManager.newBaseManager();
                ProcessGroup group = ProcessGroup.join(env, Duration.ofSeconds(60))) {
            List<NDArray> arrays = new ArrayList<>();
            for (int i = 0; i < SHAPES.size(); i++) {
                arrays.add(m.full(SHAPES.get(i), (float) ((env.rank() + 1) * (i + 1))));
            }
            for (int round = 0; round < 3; round++) {
                group.allReduceMean(arrays);
            }
            StringBuilder out = new StringBuilder("rank " + env.rank() + " of " + group.worldSize() + ":");
            for (NDArray a : arrays) {
                out.append(' ').append(a.min().getFloat()).append('/').append(a.max().getFloat());
            }
            System.out.println(out.append(" references ").append(group.groupReferences()));
            // int64 metadata: exact beyond float's 24 bits
            long big = (1L << 53) + 1;
            long[] broadcast = group.broadcastFromRankZero(new long[] {big + env.rank(), -7 * (env.rank() + 1)});
            long[][] gathered = group.allGather(new long[] {big * (env.rank() + 1), env.rank()});
            System.out.println("broadcast " + java.util.Arrays.toString(broadcast) + " gathered "
                    + java.util.Arrays.deepToString(gathered));
        }
        // groups made and freed one after another in one process (a trainer runs job after job): each must
        // free what it holds exactly once, or the heap is corrupt by the next ones
        for (int again = 1; again <= 3; again++) {
            LaunchEnv next = new LaunchEnv(env.masterAddr(), env.masterPort() + again, env.worldSize(), env.rank());
            try (ProcessGroup group = ProcessGroup.join(next, Duration.ofSeconds(60))) {
                long[] last = group.allGather(new long[] {again * (env.rank() + 1)})[env.worldSize() - 1];
                System.out.println("group " + again + " " + last[0]);
            }
        }
    }
}
