package dev.maws.model.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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

    /**
     * @param loss builds the batch inside the given step manager and returns the scalar loss
     */
    public static synchronized Result run(Parameters params, Function<NDManager, NDArray> loss, AdamW optimizer, double lr) {
        float value;
        try (NDScope scope = new NDScope(); GradientCollector collector = Engine.getInstance().newGradientCollector();
                NDManager step = params.manager().newSubManager()) {
            NDArray l = loss.apply(step);
            collector.backward(l);
            value = l.getFloat();
        }
        if (!Float.isFinite(value)) {
            optimizer.zeroGradients(); // or the next step would apply these gradients too
            throw new ArithmeticException("loss is " + value + ": the step was not applied");
        }
        return new Result(value, optimizer.update(lr));
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
}
