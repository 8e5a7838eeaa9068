package dev.maws.model.optim;

/**
 * Linear warm-up to {@code peak}, then a half cycle of cosine that reaches {@code min} when the run
 * ends (MAE's {@code adjust_learning_rate}, per step instead of per fractional epoch): the last step
 * still learns a little, as in MAE, rather than taking a step of rate {@code min}.
 */
public record LrSchedule(double peak, double min, long warmupSteps, long totalSteps) {
    public LrSchedule {
        if (!(peak > 0) || min < 0 || min > peak || warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("bad schedule: peak " + peak + ", min " + min + ", warm-up " + warmupSteps
                    + " of " + totalSteps + " steps");
        }
    }

    /** MAE's rule: lr = base_lr * batch / 256. */
    public static double scaledLr(double baseLr, int batchSize) {
        return baseLr * batchSize / 256.0;
    }

    /** The rate for optimizer step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        long decay = totalSteps - warmupSteps;
        double progress = decay == 0 ? 1.0 : Math.min(1.0, (step - warmupSteps) / (double) decay);
        return min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
