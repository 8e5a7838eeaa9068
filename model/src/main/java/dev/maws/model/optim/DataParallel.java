package dev.maws.model.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.maws.model.nn.Parameters;
import dev.maws.model.runtime.DjlRuntime;

/**
 * Data-parallel training over the local devices: one replica of the model per device, built with
 * the same seed; each step splits the batch into contiguous shards, one per replica, and sums the
 * gradients onto replica 0, whose optimizer updates it before its values are copied to the others.
 * The result equals a single-device step on the whole batch (up to float rounding). Replica 0 is
 * the model to checkpoint and to evaluate.
 *
 * @param <M> the model type (MaskedAutoencoder, WspClassifier, ...)
 */
public final class DataParallel<M> implements AutoCloseable {
    private final List<NDManager> roots = new ArrayList<>();
    private final List<Parameters> replicas = new ArrayList<>();
    private final List<M> models = new ArrayList<>();

    /** One replica on each device of {@code deviceSetting} ("cpu", "gpu", "gpu:N"). */
    public static <M> DataParallel<M> create(DjlRuntime runtime, String deviceSetting, long seed,
            Function<Parameters, M> build) {
        return new DataParallel<>(runtime.devices(deviceSetting), seed, build);
    }

    DataParallel(List<Device> devices, long seed, Function<Parameters, M> build) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("data-parallel training needs at least one device");
        }
        try {
            for (Device d : devices) {
                NDManager root = NDManager.newBaseManager(d);
                roots.add(root);
                Parameters p = new Parameters(root, seed);
                replicas.add(p);
                models.add(build.apply(p));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public int size() {
        return replicas.size();
    }

    public M model(int replica) {
        return models.get(replica);
    }

    public Parameters parameters(int replica) {
        return replicas.get(replica);
    }

    /** The replica that holds the optimizer's view of the model: checkpoint and evaluate this one. */
    public M main() {
        return models.get(0);
    }

    /** A loss over samples [from, to) of the batch, computed by {@code model} in {@code step}. */
    @FunctionalInterface
    public interface BatchLoss<M> {
        ai.djl.ndarray.NDArray apply(M model, NDManager step, int from, int to);
    }

    /**
     * One step over a batch of {@code batchSize} samples, sharded over the replicas. The optimizer
     * must be built on {@link #parameters(int) parameters(0)}.
     */
    public TrainingStep.Result step(BatchLoss<M> loss, int batchSize, AdamW optimizer, double lr) {
        int k = replicas.size();
        if (batchSize < k) { // a replica without samples gets no gradient, and replica 0's would be lost
            throw new IllegalArgumentException("a batch of " + batchSize + " samples cannot be split over " + k
                    + " devices; use a batch of at least " + k);
        }
        int[] from = new int[k];
        int[] to = new int[k];
        double[] weights = new double[k];
        for (int r = 0; r < k; r++) {
            from[r] = (int) ((long) batchSize * r / k);
            to[r] = (int) ((long) batchSize * (r + 1) / k);
            weights[r] = (to[r] - from[r]) / (double) batchSize;
        }
        return TrainingStep.run(replicas, (step, r) -> loss.apply(models.get(r), step, from[r], to[r]), weights,
                optimizer, lr);
    }

    @Override
    public void close() {
        for (NDManager root : roots) {
            root.close();
        }
        roots.clear();
    }
}
