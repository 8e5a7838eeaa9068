package dev.maws.inference.evaluation;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * What an evaluation found: {@code reports/evaluations/{id}.json} and {@code Evaluation.report_json}
 * (snake_case keys). An evaluation that does not apply to the model (zero-shot of an MAE
 * checkpoint) or was not asked for is null, and {@code notes} says why.
 */
public record EvaluationReport(String id, String model, String stage, String dataset, String split,
        String probeTrainSplit, List<String> classes, int examples, Integer trainExamples, ZeroShot zeroShot,
        LinearProbe linearProbe, Map<String, FewShot> fewShot, List<String> notes, double seconds, String finishedAt) {

    /** Zero-shot through the WSP head, with how each class name was resolved. */
    public record ZeroShot(@JsonUnwrapped Scores scores, List<Resolution> resolutions) {}

    /** A class name and the synsets of the model's vocabulary that stand for it. */
    public record Resolution(String className, List<String> synsets, String unresolvedReason) {}

    /**
     * A probe trained on the frozen features of the whole training split; {@code features} says which
     * ("pooled (mean)", or the cls and mean tokens of the last N blocks) and {@code featureDim} how many.
     * With multi-block features, {@code pooled} is the same probe on the pooled feature, for comparison
     * (null otherwise).
     */
    public record LinearProbe(@JsonUnwrapped Scores scores, String features, int featureDim, Scores pooled, int epochs,
            int batchSize, double lr) {}

    /** Probes trained on k examples per class, one per seed: top-1 mean and sample std over the seeds. */
    public record FewShot(double mean, double std, List<Double> top1PerSeed) {}
}
