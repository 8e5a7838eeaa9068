package dev.maws.e2e;

import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.proto.v1.Evaluation;
import dev.maws.proto.v1.GetEvaluationRequest;
import dev.maws.proto.v1.InferenceServiceGrpc;
import dev.maws.proto.v1.StartEvaluationRequest;

/**
 * Step 5: each trained checkpoint evaluated by inference-service on the evaluation set's test split
 * (Fashion-MNIST's, or the user's {@code --eval} set): zero-shot with the set's own class names (WSP
 * checkpoints), linear probe and few-shot k = 1, 5, 10 on frozen features of its training split. The linear probe reads the cls and mean tokens of
 * every block (DINO's linear evaluation); the probe on the pooled feature alone is reported beside it.
 */
final class Evaluating {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** No change of an evaluation's state or progress for this long is a stall. */
    private static final java.time.Duration STALLED = java.time.Duration.ofMinutes(30);

    private final LocalPlatform platform;
    private final Preset preset;
    private final String dataset;
    private final Progress progress;

    /** @param dataset the evaluation dataset in S3, with a "train" and a "test" split */
    Evaluating(LocalPlatform platform, Preset preset, String dataset, Progress progress) {
        this.platform = platform;
        this.preset = preset;
        this.dataset = dataset;
        this.progress = progress;
    }

    /** The evaluation report (snake_case JSON) of a checkpoint. */
    JsonNode run(String name, String checkpoint) throws Exception {
        InferenceServiceGrpc.InferenceServiceBlockingStub inference = InferenceServiceGrpc
                .newBlockingStub(platform.channel("inference-service"));
        Evaluation e = inference.withDeadlineAfter(5, TimeUnit.MINUTES).startEvaluation(StartEvaluationRequest.newBuilder()
                .setModel(checkpoint).setDataset(dataset).setSplit("test").setProbeTrainSplit("train")
                .addFewShotK(1).addFewShotK(5).addFewShotK(10).setFewShotSeeds(preset.fewShotSeeds())
                .setProbeBlocks(preset.model().getDepth()).build());
        Progress.Bar bar = progress.bar("eval " + name, 1000);
        Stall stall = new Stall("evaluation " + e.getId() + " of " + checkpoint + " (log: " + platform.log("inference-service")
                + ")", STALLED);
        while (!e.getState().equals("succeeded") && !e.getState().equals("failed")) {
            Thread.sleep(500);
            e = inference.withDeadlineAfter(1, TimeUnit.MINUTES).getEvaluation(GetEvaluationRequest.newBuilder()
                    .setId(e.getId()).build());
            bar.set(Math.round(e.getProgress() * 1000), 1000, e.getId() + " " + e.getState());
            stall.check(e.getState() + " " + e.getProgress());
        }
        if (e.getState().equals("failed")) {
            throw new IllegalStateException("evaluation of " + checkpoint + " failed: " + e.getError() + " (log: "
                    + platform.log("inference-service") + ")");
        }
        JsonNode report = JSON.readTree(e.getReportJson());
        bar.done(String.format("%s: zero-shot %s, linear probe %.4f, 10-shot %.4f", e.getReportKey(),
                report.get("zero_shot").isNull() ? "n/a" : String.format("%.4f", report.get("zero_shot").get("top1").asDouble()),
                report.get("linear_probe").get("top1").asDouble(), report.get("few_shot").get("10").get("mean").asDouble()));
        return report;
    }
}
