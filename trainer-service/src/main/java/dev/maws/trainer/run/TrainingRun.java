package dev.maws.trainer.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.maws.model.checkpoint.Checkpoint;
import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.DataParallel;
import dev.maws.model.optim.LrSchedule;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.vit.VisionTransformer;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.Stage;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.trainer.data.Batch;
import dev.maws.trainer.data.BatchPipeline;
import dev.maws.trainer.data.DataPosition;
import dev.maws.trainer.data.Seeds;
import dev.maws.trainer.job.JobSpecs;

/**
 * One job's training loop: build the model on the job's devices, start it from the job's last
 * complete checkpoint (resume), from {@code init_from} (transfer) or from scratch, then step through
 * the batch pipeline until the planned step count, checkpointing every N steps and at the end.
 *
 * <p>Everything random is derived from the job seed and the step or sample index (masking from
 * the step, augmentation from the epoch and sample), so a run resumed from a checkpoint takes the
 * same steps as one that never stopped.
 */
final class TrainingRun {
    /** Per-step metric lines are written at least this often, checkpoint or not. */
    static final int METRICS_EVERY_STEPS = 1000;
    private static final Logger LOG = Logger.getLogger(TrainingRun.class);
    /** Reads and writes what a checkpoint says about the run (data position, plan). */
    static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final long MASKING = 0x3A5CL;

    /** The step plan, fixed when a job first starts and kept in every checkpoint. */
    record Plan(long totalSteps, long warmupSteps, long firstEpochRecords) {}

    /**
     * The trainer settings that decide which record each step reads (the topic, the shuffle), kept in
     * every checkpoint: a resume goes on with them whatever the config says now, or the recorded data
     * position would point into another order. (Gradient clipping is not among them: it is what an
     * operator changes on purpose, e.g. to resume a job that failed on a NaN loss.) A checkpoint
     * written before superseded records were skipped reads back with {@code skipSuperseded} false, as
     * its run was made.
     */
    record RunSettings(String topic, int shuffleBuffer, boolean skipSuperseded) {
        static RunSettings of(dev.maws.trainer.TrainerConfig config) {
            return new RunSettings(config.topic(), config.data().shuffleBuffer(), config.data().skipSuperseded());
        }

        /**
         * The settings a run resumes with from a checkpoint whose manifest data is {@code data}: those it
         * recorded; for a checkpoint from before they were recorded, the config's topic and shuffle (all
         * there was) without skipping superseded records (which did not exist yet).
         */
        static RunSettings resuming(RunSettings now, Map<String, Object> data) {
            Object kept = data == null ? null : data.get("run_settings");
            if (kept == null) {
                return new RunSettings(now.topic(), now.shuffleBuffer(), false);
            }
            return JSON.convertValue(kept, RunSettings.class);
        }
    }

    private final TrainingRuns deps;
    private final JobSpecs.Accepted accepted;
    private final JobSpec spec;
    private final VitConfig model;
    private final BooleanSupplier cancelled;
    private final TrainingRuns.Listener listener;
    private Job job;
    private RunSettings runSettings;

    TrainingRun(TrainingRuns deps, Job job, JobSpecs.Accepted accepted, BooleanSupplier cancelled, TrainingRuns.Listener listener) {
        this.deps = deps;
        this.job = job;
        this.accepted = accepted;
        this.spec = accepted.spec();
        this.model = accepted.model();
        this.cancelled = cancelled;
        this.listener = listener;
    }

    /** Trains to the end (SUCCEEDED) or until cancelled (CANCELLED); failures are thrown. */
    Job run() throws Exception {
        long seed = spec.getSeed();
        if (spec.getStage() == Stage.STAGE_MAE) {
            try (DataParallel<MaskedAutoencoder> dp = DataParallel.create(deps.runtime(), spec.getDevice(), seed,
                    p -> new MaskedAutoencoder(p, model, true))) {
                double maskRatio = spec.getMaskRatio();
                return train(dp, null, (mae, batch, step, s, from, to) -> mae.forward(
                        Images.batch(s, slice(batch, from, to), to - from, model), maskRatio,
                        new Random(Seeds.mix(seed, MASKING, step, from))).loss());
            }
        }
        Map<String, Integer> index = accepted.vocabulary().indexBySynset();
        BatchPipeline.LabelMap labels = image -> image.getSynsetsList().stream().map(index::get)
                .filter(java.util.Objects::nonNull).mapToInt(Integer::intValue).distinct().toArray();
        int vocabularySize = accepted.vocabulary().size();
        float smoothing = (float) spec.getLabelSmoothing();
        try (DataParallel<WspClassifier> dp = DataParallel.create(deps.runtime(), spec.getDevice(), seed,
                p -> new WspClassifier(p, model, vocabularySize))) {
            return train(dp, labels, (wsp, batch, step, s, from, to) -> wsp.forwardLoss(
                    wsp.forward(Images.batch(s, slice(batch, from, to), to - from, model)),
                    wsp.targets(s, Arrays.copyOfRange(batch.labels(), from, to), smoothing)));
        }
    }

    /** The loss of samples [from, to) of a batch at a step. */
    private interface StepLoss<M> {
        NDArray apply(M model, Batch batch, long step, NDManager s, int from, int to);
    }

    private <M> Job train(DataParallel<M> dp, BatchPipeline.LabelMap labels, StepLoss<M> loss) throws Exception {
        Optional<CheckpointCatalog.Entry> own = deps.checkpoints().latest(job.getId());
        // what shapes the run beyond the spec is kept with it: a resume after a rollout that changed the
        // trainer's config goes on as the run began (another shuffle would skip and repeat records)
        RunSettings run = RunSettings.of(deps.config());
        if (own.isPresent()) {
            RunSettings started = RunSettings.resuming(run, own.get().manifest().data());
            if (!started.equals(run)) {
                LOG.infof("%s: resumes with the settings it started with, %s (the trainer's config now: %s)", job.getId(),
                        started, run);
            }
            run = started;
        }
        runSettings = run;
        AdamW optimizer = AdamW.mae(dp.parameters(0), spec.getWeightDecay(), deps.config().maxGradNorm());
        String stage = spec.getStage() == Stage.STAGE_MAE ? "MAE" : "WSP";
        long step = 0;
        DataPosition resumeAt = null;
        Plan plan = null;
        if (own.isPresent()) {
            CheckpointManifest m = Checkpoint.load(deps.checkpoints().files(job.getId(), own.get().step()), dp.parameters(0),
                    optimizer);
            step = m.step();
            resumeAt = JSON.convertValue(m.data().get("position"), DataPosition.class);
            plan = JSON.convertValue(m.data().get("plan"), Plan.class);
            listener.update(job, "state", "resumed from " + own.get().reference());
            LOG.infof("%s: resumed from %s (epoch %.3f)", job.getId(), own.get().reference(), m.epoch());
        } else if (accepted.initFrom() != null) {
            initialise(dp.parameters(0), accepted.initFrom());
        }
        for (int r = 1; r < dp.size(); r++) {
            dp.parameters(r).copyFrom(dp.parameters(0), "");
        }

        BatchPipeline.Settings settings = deps.pipelineSettings(job.getId(), spec, model, run);
        try (BatchPipeline pipeline = new BatchPipeline(settings, deps.images(), deps.decoder(), labels, resumeAt)) {
            if (plan == null) {
                long records = pipeline.countEpochRecords(deps.config().data().planCountBudget(), cancelled);
                if (records < 0) {
                    return job.toBuilder().setState(JobState.JOB_STATE_CANCELLED).build();
                }
                double perStep = spec.getBatchSize();
                long total = Math.max(1, (long) Math.floor(spec.getEpochs() * records / perStep));
                // warm-up = epochs is a valid spec: rounding must not make the warm-up longer than the run
                plan = new Plan(total, Math.min(total, Math.round(spec.getWarmupEpochs() * records / perStep)), records);
                LOG.infof("%s: %s on %s, %d records per epoch (offset range %d), %d steps of %d images", job.getId(), stage,
                        deps.runtime().devices(spec.getDevice()), records, pipeline.start().span(), plan.totalSteps(),
                        spec.getBatchSize());
            }
            LrSchedule schedule = new LrSchedule(LrSchedule.scaledLr(spec.getBaseLr(), spec.getBatchSize()), 0,
                    plan.warmupSteps(), plan.totalSteps());
            job = job.toBuilder().setTotalSteps(plan.totalSteps()).setStep(step)
                    .setDevice(deps.runtime().devices(spec.getDevice()).stream().map(Object::toString)
                            .collect(java.util.stream.Collectors.joining(","))).build();
            listener.update(job, "state", "running " + stage + " from step " + step + " of " + plan.totalSteps());
            pipeline.begin();

            Progress progress = new Progress(plan.totalSteps(), pipeline.start().counters());
            StringBuilder metricLines = new StringBuilder();
            long firstUnsavedStep = step + 1;
            DataPosition position = pipeline.start();
            while (step < plan.totalSteps()) {
                long waitStart = System.nanoTime();
                Batch batch = pipeline.next(cancelled);
                if (batch == null) {
                    return job.toBuilder().setState(JobState.JOB_STATE_CANCELLED).build();
                }
                long waited = System.nanoTime() - waitStart;
                double lr = schedule.at(step);
                long current = step;
                TrainingStep.Result result;
                try {
                    result = dp.step((m, s, from, to) -> loss.apply(m, batch, current, s, from, to), batch.size(), optimizer, lr);
                } catch (ArithmeticException e) {
                    throw new IllegalStateException("step " + (step + 1) + ": " + e.getMessage()
                            + (e.getMessage().startsWith("loss") ? " (lower base_lr or set maws.trainer.max-grad-norm)"
                                    : " (lower base_lr)"), e);
                }
                step++;
                position = batch.position();
                deps.metrics().step(result.loss(), lr);
                metricLines.append(metricLine(step, position, result, lr));
                job = job.toBuilder().setStep(step).setLoss(result.loss()).setLearningRate(lr).setEpoch(position.epochs()).build();
                progress.step(batch.size(), waited, position.counters());

                boolean last = step == plan.totalSteps();
                int every = spec.getCheckpointEverySteps();
                if (last || (every > 0 && step % every == 0)) {
                    // metrics first: a kill between the two redoes these steps and rewrites the same object
                    writeMetrics(firstUnsavedStep, step, metricLines);
                    String ref = saveCheckpoint(dp.parameters(0), optimizer, stage, step, position, plan, result, lr);
                    metricLines.setLength(0);
                    firstUnsavedStep = step + 1;
                    job = job.toBuilder().setLastCheckpoint(ref).build();
                    listener.update(job, "checkpoint", "saved " + ref);
                } else if (step % METRICS_EVERY_STEPS == 0) {
                    // between far-apart (or no) checkpoints the lines go out anyway: memory stays bounded and
                    // a kill loses at most these; the steps a resume redoes rewrite the same objects
                    writeMetrics(firstUnsavedStep, step, metricLines);
                    metricLines.setLength(0);
                    firstUnsavedStep = step + 1;
                }
                if (last || progress.due()) {
                    job = job.toBuilder().setImagesPerSecond(progress.report(job)).build();
                    listener.update(job, "progress", progress.message(job));
                }
            }
            return job.toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build();
        }
    }

    /** Weights from another job's checkpoint: the encoder of an MAE (transfer), or everything of the same stage. */
    private void initialise(Parameters target, CheckpointCatalog.Entry from) throws IOException {
        CheckpointManifest m = from.manifest();
        try (NDManager scratch = NDManager.newBaseManager(target.manager().getDevice());
                Parameters source = new Parameters(scratch, 0)) {
            if ("MAE".equals(m.stage())) {
                new MaskedAutoencoder(source, m.model(), true);
            } else {
                new WspClassifier(source, m.model(), m.vocabularySize());
            }
            Checkpoint.load(deps.checkpoints().files(from.job(), from.step()), source, null);
            boolean sameStage = m.stage().equals(spec.getStage() == Stage.STAGE_MAE ? "MAE" : "WSP");
            int copied = target.copyFrom(source, sameStage ? "" : VisionTransformer.PREFIX);
            LOG.infof("%s: %d tensors initialised from %s", job.getId(), copied, from.reference());
        }
    }

    private String saveCheckpoint(Parameters params, AdamW optimizer, String stage, long step, DataPosition position,
            Plan plan, TrainingStep.Result result, double lr) throws IOException {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", (double) result.loss());
        metrics.put("lr", lr);
        metrics.put("grad_norm", result.gradNorm());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("position", position);
        data.put("plan", plan);
        data.put("topic", runSettings.topic());
        data.put("run_settings", runSettings);
        data.put("seed", spec.getSeed());
        data.put("normalization", dev.maws.platform.image.Pixels.Normalization.standard(model.channels()));
        CheckpointManifest manifest = new CheckpointManifest(CheckpointManifest.FORMAT, stage, model,
                accepted.vocabulary() == null ? 0 : accepted.vocabulary().size(),
                accepted.vocabulary() == null ? "" : accepted.vocabulary().version(), step, position.epochs(), metrics, data,
                null, null);
        Checkpoint.save(deps.checkpoints().files(job.getId(), step), params, optimizer, manifest);
        return job.getId() + "/step-" + step;
    }

    /** Per-step metrics as JSON lines next to the checkpoints: metrics/step-{first}-{last}.jsonl. */
    private void writeMetrics(long first, long last, StringBuilder lines) {
        ObjectStore store = deps.store();
        store.put("checkpoints/" + job.getId() + "/metrics/step-" + String.format("%09d-%09d", first, last) + ".jsonl",
                lines.toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
    }

    private static String metricLine(long step, DataPosition position, TrainingStep.Result result, double lr) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.put("epoch", position.epochs());
        line.put("loss", result.loss());
        line.put("lr", lr);
        line.put("grad_norm", result.gradNorm());
        line.put("time", Instant.now().toString());
        try {
            return JSON.writeValueAsString(line) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float[] slice(Batch batch, int from, int to) {
        int per = batch.pixels().length / batch.size();
        return from == 0 && to == batch.size() ? batch.pixels() : Arrays.copyOfRange(batch.pixels(), from * per, to * per);
    }

    /** Throughput, data wait and ETA over progress intervals; logs at most once an interval. */
    private final class Progress {
        private final long totalSteps;
        private final Duration interval = deps.config().progressInterval();
        private long intervalStart = System.nanoTime();
        private long intervalImages;
        private long intervalWait;
        private long intervalSteps;
        private DataPosition.Counters reported;

        Progress(long totalSteps, DataPosition.Counters counters) {
            this.totalSteps = totalSteps;
            this.reported = counters;
        }

        void step(int images, long waitedNanos, DataPosition.Counters counters) {
            intervalImages += images;
            intervalWait += waitedNanos;
            intervalSteps++;
            deps.metrics().skipped(counters.badImages() - reported.badImages(), counters.badRecords() - reported.badRecords(),
                    counters.unlabelled() - reported.unlabelled(), counters.deleted() - reported.deleted(),
                    counters.duplicates() - reported.duplicates());
            reported = counters;
        }

        boolean due() {
            return System.nanoTime() - intervalStart >= interval.toNanos();
        }

        /** Closes the interval; returns images/s over it. */
        double report(Job job) {
            double seconds = Math.max(1e-9, (System.nanoTime() - intervalStart) / 1e9);
            double imagesPerSecond = intervalImages / seconds;
            double wait = intervalWait / 1e9 / seconds;
            deps.metrics().interval(imagesPerSecond, wait);
            double stepsPerSecond = intervalSteps / seconds;
            long eta = stepsPerSecond > 0 ? Math.round((totalSteps - job.getStep()) / stepsPerSecond) : -1;
            LOG.infof("%s: step %d/%d epoch %.3f loss %.4f lr %.2e %.1f img/s data-wait %.0f%% ETA %s (bad images %d, "
                    + "unlabelled %d)", job.getId(), job.getStep(), totalSteps, job.getEpoch(), job.getLoss(),
                    job.getLearningRate(), imagesPerSecond, wait * 100, eta < 0 ? "?" : Duration.ofSeconds(eta),
                    reported.badImages(), reported.unlabelled());
            intervalStart = System.nanoTime();
            intervalImages = 0;
            intervalWait = 0;
            intervalSteps = 0;
            return imagesPerSecond;
        }

        String message(Job job) {
            return String.format("step %d of %d, epoch %.3f, loss %.4f", job.getStep(), totalSteps, job.getEpoch(),
                    job.getLoss());
        }
    }
}
