package dev.maws.model.dist;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.optim.TrainingStep;

/**
 * One worker's membership of a data-parallel job on c10d, PyTorch's distributed engine (the engine of
 * DDP): rendezvous through a TCPStore that rank 0 serves at the master address, gradients summed by a
 * Gloo process group. Gradients are all-reduced in flat buckets of at most {@link #BUCKET_BYTES}, as DDP
 * does, so a model of many small tensors costs a few collectives a step, not one per tensor.
 */
public final class ProcessGroup implements AutoCloseable, TrainingStep.GradientSync {
    /** DDP's default bucket size. */
    public static final long BUCKET_BYTES = 25L << 20;

    private final LaunchEnv env;
    private final long timeoutMs;
    private long store;
    private long group;

    private ProcessGroup(LaunchEnv env, long timeoutMs, long store, long group) {
        this.env = env;
        this.timeoutMs = timeoutMs;
        this.store = store;
        this.group = group;
    }

    /**
     * Joins the job: waits up to {@code timeout} for every worker at the rendezvous and for Gloo's
     * connections, then returns; an unreachable master or a missing worker is an IOException after
     * that long.
     */
    public static ProcessGroup join(LaunchEnv env, Duration timeout) throws IOException {
        return join(env, timeout, timeout);
    }

    /**
     * The same with a timeout of its own for each collective afterwards ({@code opTimeout}): how long a
     * worker waits for a slow peer (rank 0 writing a checkpoint) before it gives up. A peer that dies is
     * noticed sooner: its connections close.
     */
    public static ProcessGroup join(LaunchEnv env, Duration joinTimeout, Duration opTimeout) throws IOException {
        C10dNative.load();
        long joinMs = joinTimeout.toMillis();
        long opMs = opTimeout.toMillis();
        long store = C10dNative.newTcpStore(env.masterAddr(), env.masterPort(), env.worldSize(), env.rank() == 0, joinMs);
        try {
            long group = C10dNative.newGlooGroup(store, env.rank(), env.worldSize(), transportHost(env), opMs, 1);
            return new ProcessGroup(env, opMs, store, group);
        } catch (IOException | RuntimeException e) {
            C10dNative.release(store);
            throw e;
        }
    }

    /** Gloo listens on the address of this host that the others reach; on loopback when the master is local. */
    private static String transportHost(LaunchEnv env) throws IOException {
        try {
            InetAddress master = InetAddress.getByName(env.masterAddr());
            return master.isLoopbackAddress() ? master.getHostAddress() : InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            throw new IOException("the master address " + env.masterAddr() + " does not resolve", e);
        }
    }

    @Override
    public void mean(List<NDArray> arrays) throws IOException {
        allReduceMean(arrays);
    }

    public int rank() {
        return env.rank();
    }

    @Override
    public int worldSize() {
        return env.worldSize();
    }

    /**
     * Replaces each array (same shapes, float32, on every rank, in the same order) by its mean over the
     * workers, in place.
     */
    public void allReduceMean(List<NDArray> arrays) throws IOException {
        if (group == 0) {
            throw new IllegalStateException("the process group is closed");
        }
        int from = 0;
        while (from < arrays.size()) {
            int to = from;
            long bytes = 0;
            while (to < arrays.size() && (to == from || bytes + arrays.get(to).size() * 4 <= BUCKET_BYTES)) {
                bytes += arrays.get(to).size() * 4;
                to++;
            }
            reduceBucket(arrays.subList(from, to));
            from = to;
        }
    }

    private void reduceBucket(List<NDArray> bucket) throws IOException {
        // NDScope closes what this method creates and nothing else (a reshape may hand back its input)
        try (NDScope scope = new NDScope()) {
            NDArray flat;
            if (bucket.size() == 1) {
                flat = bucket.get(0);
            } else {
                NDList parts = new NDList(bucket.size());
                for (NDArray a : bucket) {
                    parts.add(a.reshape(-1));
                }
                flat = NDArrays.concat(parts);
            }
            // Gloo reduces host memory: a GPU bucket goes through a host copy (NCCL is not bridged yet)
            NDArray reduced = flat.getDevice().isGpu() ? flat.toDevice(ai.djl.Device.cpu(), true) : flat;
            C10dNative.allreduceSum(group, new long[] {((PtNDArray) reduced).getHandle()}, timeoutMs);
            if (reduced != flat) {
                flat.muli(HostArrays.scalar(flat.getManager(), 0f)).addi(reduced.toDevice(flat.getDevice(), true));
            }
            flat.divi(HostArrays.scalar(flat.getManager(), env.worldSize()));
            if (bucket.size() > 1) {
                // in place, op by op: copyTo would give the array a host buffer as its storage, which a
                // gradient outlives
                NDArray zero = HostArrays.scalar(flat.getManager(), 0f);
                long offset = 0;
                for (NDArray a : bucket) {
                    a.muli(zero).addi(flat.get(new NDIndex("{}:{}", offset, offset + a.size())).reshape(a.getShape()));
                    offset += a.size();
                }
            }
        }
    }

    /**
     * Rank 0's {@code values} on every rank (c10d all-reduce of int64s to which the other ranks add
     * zeros: how a small piece of metadata, such as the epoch's offsets, is made the same everywhere).
     * Every rank passes an array of the same length.
     */
    public long[] broadcastFromRankZero(long[] values) throws IOException {
        return allReduceSum(env.rank() == 0 ? values : new long[values.length]);
    }

    /**
     * Every rank's {@code mine}, by rank ({@code [worldSize][mine.length]}; every rank passes the same
     * length): an all-gather made of one all-reduce in which each rank fills its own row.
     */
    public long[][] allGather(long[] mine) throws IOException {
        int n = mine.length;
        long[] rows = new long[env.worldSize() * n];
        System.arraycopy(mine, 0, rows, env.rank() * n, n);
        long[] summed = allReduceSum(rows);
        long[][] out = new long[env.worldSize()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = java.util.Arrays.copyOfRange(summed, r * n, (r + 1) * n);
        }
        return out;
    }

    /** Element-wise sums over the ranks of int64 values, exact (no float rounding). */
    long[] allReduceSum(long[] values) throws IOException {
        if (group == 0) {
            throw new IllegalStateException("the process group is closed");
        }
        if (values.length == 0) {
            return values;
        }
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDArray a = m.create(values);
            C10dNative.allreduceSum(group, new long[] {((PtNDArray) a).getHandle()}, timeoutMs);
            return a.toLongArray();
        }
    }

    /** The strong references held on the native group (tests: one, ours). */
    int groupReferences() {
        return C10dNative.referenceCount(group);
    }

    @Override
    public void close() {
        C10dNative.release(group);
        C10dNative.release(store);
        group = 0;
        store = 0;
    }

}
