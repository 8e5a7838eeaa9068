package dev.maws.model.optim;

import java.util.function.Function;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.maws.model.nn.Parameters;

/**
 * One optimizer step: forward and backward inside a step-scoped manager, then the AdamW update.
 * Everything the step allocates is freed when it returns, so a long run keeps its NDArray count
 * and memory flat. One gradient collector per JVM at a time: steps must not run concurrently.
 */
public final class TrainingStep {
    private TrainingStep() {}

    /** What a step reports. */
    public record Result(float loss, double gradNorm) {}

    /**
     * @param loss builds the batch inside the given step manager and returns the scalar loss
     */
    public static synchronized Result run(Parameters params, Function<NDManager, NDArray> loss, AdamW optimizer, double lr) {
        float value;
        try (NDScope scope = new NDScope();
                NDManager step = params.manager().newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray l = loss.apply(step);
            collector.backward(l);
            value = l.getFloat();
        }
        if (!Float.isFinite(value)) {
            optimizer.zeroGradients(); // or the next step would apply these gradients too
            throw new ArithmeticException("loss is " + value + ": the step was not applied");
        }
        double norm = optimizer.update(lr);
        return new Result(value, norm);
    }
}
