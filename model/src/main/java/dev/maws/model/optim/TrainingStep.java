package dev.maws.model.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.maws.model.nn.HostArrays;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.Parameters.Parameter;

/**
 * One optimizer step: forward and backward inside step-scoped managers, then the AdamW update.
 * Everything the step allocates is freed when it returns, so a long run keeps its NDArray count
 * and memory flat. One gradient collector per JVM at a time: steps never run concurrently.
 */
public final class TrainingStep {
    private TrainingStep() {}

    /** What a step reports. */
    public record Result(float loss, double gradNorm) {}

    /**
     * Averages arrays over the workers of a data-parallel job, in place (c10d's all-reduce:
     * {@code dev.maws.model.dist.ProcessGroup}).
     */
    public interface GradientSync {
        int worldSize();

        void mean(List<NDArray> arrays) throws java.io.IOException;
    }

    /** The loss of one replica's share of the batch (a mean over its samples). */
    @FunctionalInterface
    public interface ShardLoss {
        NDArray apply(NDManager step, int replica);
    }

    /**
     * @param loss builds the batch inside the given step manager and returns the scalar loss
     */
    public static Result run(Parameters params, Function<NDManager, NDArray> loss, AdamW optimizer, double lr) {
        return run(List.of(params), (step, replica) -> loss.apply(step), new double[] {1.0}, optimizer, lr);
    }

    /**
     * One worker's step of a job across processes: this worker's loss (the mean over its shard, which
     * is {@code share} of the global batch) scaled by {@code share * worldSize}, so the mean of the
     * workers' gradients is the global batch's; the gradients and the loss are averaged by
     * {@code sync}, and every worker applies the same update to the same parameters.
     */
    public static synchronized Result run(Parameters params, Function<NDManager, NDArray> loss, double share,
            GradientSync sync, AdamW optimizer, double lr) throws java.io.IOException {
        float local;
        try (NDScope scope = new NDScope(); GradientCollector collector = Engine.getInstance().newGradientCollector();
                NDManager step = params.manager().newSubManager()) {
            NDArray l = loss.apply(step);
            float scale = (float) (share * sync.worldSize());
            NDArray weighted = scale == 1f ? l : l.mul(HostArrays.scalar(step, scale));
            collector.backward(weighted);
            local = weighted.getFloat();
        }
        float value;
        try (NDScope scope = new NDScope(); NDManager step = params.manager().newSubManager()) {
            List<NDArray> arrays = new ArrayList<>();
            for (Parameter p : params.all()) {
                arrays.add(p.array().getGradient());
            }
            NDArray lossMean = HostArrays.scalar(step, local).reshape(1);
            arrays.add(lossMean);
            sync.mean(arrays);
            value = lossMean.getFloat();
        }
        if (!Float.isFinite(value)) {
            optimizer.zeroGradients();
            throw new ArithmeticException("loss is " + value + ": the step was not applied");
        }
        return new Result(value, optimizer.update(lr));
    }

    /**
     * A data-parallel step: replica r computes the mean loss of its shard, weighted by
     * {@code weights[r]} (its share of the batch), so the summed gradient is the full batch's. The
     * gradients are summed onto replica 0, the optimizer (of replica 0) updates it, and its new
     * values are copied to every other replica.
     */
    static synchronized Result run(List<Parameters> replicas, ShardLoss loss, double[] weights, AdamW optimizer, double lr) {
        float value = 0;
        List<NDManager> steps = new ArrayList<>(replicas.size());
        try (NDScope scope = new NDScope(); GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            List<NDArray> losses = new ArrayList<>(replicas.size());
            for (int r = 0; r < replicas.size(); r++) {
                if (weights[r] == 0) {
                    continue;
                }
                NDManager step = replicas.get(r).manager().newSubManager();
                steps.add(step);
                NDArray l = loss.apply(step, r);
                NDArray weighted = weights[r] == 1.0 ? l : l.mul(HostArrays.scalar(step, (float) weights[r]));
                collector.backward(weighted);
                losses.add(weighted);
            }
            // read once every replica's work is queued: a read waits for its device, which would run the GPUs in turn
            for (NDArray weighted : losses) {
                value += weighted.getFloat();
            }
        } finally {
            steps.forEach(NDManager::close);
        }
        if (replicas.size() > 1) {
            reduceGradients(replicas);
        }
        if (!Float.isFinite(value)) {
            optimizer.zeroGradients(); // or the next step would apply these gradients too
            throw new ArithmeticException("loss is " + value + ": the step was not applied");
        }
        double norm = optimizer.update(lr);
        if (replicas.size() > 1) {
            broadcastParameters(replicas);
        }
        return new Result(value, norm);
    }

    /** Adds every replica's gradients into replica 0's and zeroes them on the others. */
    private static void reduceGradients(List<Parameters> replicas) {
        List<Parameter> main = replicas.get(0).all();
        Device mainDevice = replicas.get(0).manager().getDevice();
        try (NDScope scope = new NDScope()) {
            for (int i = 0; i < main.size(); i++) {
                NDArray sum = main.get(i).array().getGradient();
                for (int r = 1; r < replicas.size(); r++) {
                    NDArray other = replicas.get(r).all().get(i).array();
                    sum.addi(other.getGradient().toDevice(mainDevice, false));
                    JniUtils.zeroGrad((PtNDArray) other);
                }
            }
        }
    }

    /** Copies replica 0's parameters to every other replica. */
    private static void broadcastParameters(List<Parameters> replicas) {
        List<Parameter> main = replicas.get(0).all();
        try (NDScope scope = new NDScope()) {
            for (int r = 1; r < replicas.size(); r++) {
                Parameters replica = replicas.get(r);
                List<Parameter> target = replica.all();
                for (int i = 0; i < main.size(); i++) {
                    main.get(i).array().toDevice(replica.manager().getDevice(), true).copyTo(target.get(i).array());
                }
            }
        }
    }
}
