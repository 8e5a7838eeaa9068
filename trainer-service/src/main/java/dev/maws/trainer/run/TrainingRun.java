package dev.maws.trainer.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * <p>Everything random is derived from the job seed and the sample's place in its epoch's stream (its
 * mask, its augmentation), so a run resumed from a checkpoint takes the same steps as one that never
 * stopped, and a job takes the same steps whatever number of devices or processes shares its batches.
 *
 * <p>A job of several processes ({@link Gang}) runs this in each of them: every process reads its
 * share of each epoch ({@link BatchPipeline.Partition}), computes the gradient of its share of each
 * batch, and c10d averages the gradients, so all processes apply the same update. Rank 0 decides what
 * must be the same everywhere (the epoch's offsets, the step plan), writes the checkpoints, with every
 * process's data position, and the metrics, and reports progress.
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
     * written before superseded records were skipped reads back with {@code skipSuperseded} false, one
     * written before shards were streamed with {@code streamShards} false, as its run was made.
     */
    record RunSettings(String topic, int shuffleBuffer, boolean skipSuperseded, boolean streamShards, int shardsInFlight,
            long shuffleBufferMb, double maxShardImbalance) {
        /** Settings of a run that reads its epochs record by record. */
        RunSettings(String topic, int shuffleBuffer, boolean skipSuperseded) {
            this(topic, shuffleBuffer, skipSuperseded, false, 0, 0, 0);
        }

        static RunSettings of(dev.maws.trainer.TrainerConfig config) {
            dev.maws.trainer.TrainerConfig.Data d = config.data();
            return new RunSettings(config.topic(), d.shuffleBuffer(), d.skipSuperseded(), d.streamShards(),
                    d.shardsInFlight(), d.shuffleBufferMb(), d.maxShardImbalance());
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
    private final Gang gang;
    private final BatchPipeline.Partition partition;
    private Job job;
    private RunSettings runSettings;

    TrainingRun(TrainingRuns deps, Job job, JobSpecs.Accepted accepted, BooleanSupplier cancelled, TrainingRuns.Listener listener,
            Gang gang) {
        int processes = Math.max(1, accepted.spec().getProcesses());
        int world = gang == null ? 1 : gang.world();
        if (world != processes) {
            throw new IllegalArgumentException("the job has processes=" + processes + " but runs in a world of " + world
                    + " (WORLD_SIZE or PET_NNODES x PET_NPROC_PER_NODE): launch it with as many workers as processes");
        }
        this.gang = gang;
        this.partition = gang == null ? BatchPipeline.Partition.WHOLE : new BatchPipeline.Partition(gang.rank(), world);
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
        try (NDManager root = NDManager.newBaseManager(deps.runtime().devices(device()).get(0));
                Parameters params = new Parameters(root, spec.getSeed())) {
            if (spec.getStage() == Stage.STAGE_MAE) {
                MaskedAutoencoder mae = new MaskedAutoencoder(params, model, true);
                double maskRatio = spec.getMaskRatio();
                return train(params, null, (batch, s) -> mae.forward(Images.batch(s, batch.pixels(), batch.size(), model),
                        maskRatio, noise(batch)).loss());
            }
            Map<String, Integer> index = accepted.vocabulary().indexBySynset();
            BatchPipeline.LabelMap labels = image -> image.getSynsetsList().stream().map(index::get)
                    .filter(java.util.Objects::nonNull).mapToInt(Integer::intValue).distinct().toArray();
            WspClassifier wsp = new WspClassifier(params, model, accepted.vocabulary().size());
            float smoothing = (float) spec.getLabelSmoothing();
            return train(params, labels, (batch, s) -> wsp.forwardLoss(
                    wsp.forward(Images.batch(s, batch.pixels(), batch.size(), model)),
                    wsp.targets(s, batch.labels(), smoothing)));
        }
    }

    /**
     * This process's one device: "gpu" is the GPU of its local rank in a job of several processes (one
     * process a GPU), the first GPU in a job of one.
     */
    private String device() {
        return spec.getDevice().equals("gpu") ? "gpu:" + (gang == null ? 0 : gang.localRank()) : spec.getDevice();
    }

    /** The MAE noise of a batch (N, L): each sample's from a seed of its place in its epoch. */
    private float[] noise(Batch batch) {
        int patches = model.numPatches();
        float[] noise = new float[batch.size() * patches];
        int epoch = batch.position().epoch(); // a batch never spans epochs
        for (int i = 0; i < batch.size(); i++) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(Seeds.mix(spec.getSeed(), MASKING, epoch,
                    batch.indices()[i]));
            for (int j = 0; j < patches; j++) {
                noise[i * patches + j] = (r.nextInt() >>> 8) * 0x1.0p-24f; // uniform in [0, 1)
            }
        }
        return noise;
    }

    /** The mean loss of this process's batch, built in the step's manager. */
    private interface StepLoss {
        NDArray apply(Batch batch, NDManager step);
    }

    private Job train(Parameters params, BatchPipeline.LabelMap labels, StepLoss loss) throws Exception {
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
        AdamW optimizer = AdamW.mae(params, spec.getWeightDecay(), deps.config().maxGradNorm());
        String stage = spec.getStage() == Stage.STAGE_MAE ? "MAE" : "WSP";
        long step = 0;
        DataPosition resumeAt = null;
        Plan plan = null;
        if (own.isPresent()) {
            CheckpointManifest m = Checkpoint.load(deps.checkpoints().files(job.getId(), own.get().step()), params, optimizer);
            step = m.step();
            resumeAt = positionOfThisProcess(m, own.get().reference());
            plan = JSON.convertValue(m.data().get("plan"), Plan.class);
            listener.update(job, "state", "resumed from " + own.get().reference());
            LOG.infof("%s: resumed from %s (epoch %.3f)", job.getId(), own.get().reference(), m.epoch());
        } else if (accepted.initFrom() != null) {
            initialise(params, accepted.initFrom());
        }

        BatchPipeline.Settings settings = deps.pipelineSettings(job.getId(), spec, model, run, partition);
        try (BatchPipeline pipeline = new BatchPipeline(settings, deps.images(), deps.decoder(), labels, resumeAt)) {
            if (gang != null && resumeAt == null) { // every process walks the stream of rank 0's offsets
                DataPosition zero = pipeline.start();
                Map<Integer, Long>[] range = Gangs.broadcastRange(gang.group(), zero.begin(), zero.end());
                if (gang.rank() != 0) {
                    pipeline.startAt(range[0], range[1]);
                }
            }
            if (plan == null) {
                plan = plan(pipeline);
                if (plan == null) {
                    return job.toBuilder().setState(JobState.JOB_STATE_CANCELLED).build();
                }
                LOG.infof("%s: %s on %s%s, %d records per epoch (offset range %d), %d steps of %d images", job.getId(), stage,
                        deps.runtime().devices(device()), gang == null ? "" : " in each of " + gang.world() + " processes",
                        plan.firstEpochRecords(), pipeline.start().span(), plan.totalSteps(), spec.getBatchSize());
            }
            LrSchedule schedule = new LrSchedule(LrSchedule.scaledLr(spec.getBaseLr(), spec.getBatchSize()), 0,
                    plan.warmupSteps(), plan.totalSteps());
            job = job.toBuilder().setTotalSteps(plan.totalSteps()).setStep(step)
                    .setDevice(deps.runtime().devices(device()).stream().map(Object::toString)
                            .collect(java.util.stream.Collectors.joining(","))).build();
            listener.update(job, "state", "running " + stage + " from step " + step + " of " + plan.totalSteps());
            pipeline.begin();

            RunProgress progress = new RunProgress(deps, plan.totalSteps(), pipeline.start().counters());
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
                TrainingStep.Result result;
                try {
                    result = gang == null ? TrainingStep.run(params, s -> loss.apply(batch, s), optimizer, lr)
                            : TrainingStep.run(params, s -> loss.apply(batch, s), 1.0 / gang.world(), gang.group(), optimizer, lr);
                } catch (ArithmeticException e) {
                    throw new IllegalStateException("step " + (step + 1) + ": " + e.getMessage()
                            + (e.getMessage().startsWith("loss") ? " (lower base_lr or set maws.trainer.max-grad-norm)"
                                    : " (lower base_lr)"), e);
                }
                step++;
                position = batch.position();
                deps.metrics().step(result.loss(), lr);
                if (lead()) {
                    metricLines.append(metricLine(step, position, result, lr));
                }
                job = job.toBuilder().setStep(step).setLoss(result.loss()).setLearningRate(lr).setEpoch(position.epochs()).build();
                progress.step(batch.size(), waited, position.counters());

                boolean last = step == plan.totalSteps();
                int every = spec.getCheckpointEverySteps();
                if (last || (every > 0 && step % every == 0)) {
                    List<DataPosition> positions = List.of(position);
                    if (gang != null) {
                        positions = Gangs.gather(gang.group(), position);
                        Gangs.checkSameParameters(gang.group(), params, step);
                    }
                    if (!lead()) {
                        continue;
                    }
                    // metrics first: a kill between the two redoes these steps and rewrites the same object
                    writeMetrics(firstUnsavedStep, step, metricLines);
                    String ref = saveCheckpoint(params, optimizer, stage, step, positions, plan, result, lr);
                    metricLines.setLength(0);
                    firstUnsavedStep = step + 1;
                    job = job.toBuilder().setLastCheckpoint(ref).build();
                    listener.update(job, "checkpoint", "saved " + ref);
                } else if (step % METRICS_EVERY_STEPS == 0 && lead()) {
                    // between far-apart (or no) checkpoints the lines go out anyway: memory stays bounded and
                    // a kill loses at most these; the steps a resume redoes rewrite the same objects
                    writeMetrics(firstUnsavedStep, step, metricLines);
                    metricLines.setLength(0);
                    firstUnsavedStep = step + 1;
                }
                if (lead() && (last || progress.due())) {
                    job = job.toBuilder().setImagesPerSecond(progress.report(job)).build();
                    listener.update(job, "progress", progress.message(job));
                }
            }
            return job.toBuilder().setState(JobState.JOB_STATE_SUCCEEDED).build();
        }
    }

    /** Rank 0 of a job of several processes, or its only process: the one that writes and reports. */
    private boolean lead() {
        return gang == null || gang.rank() == 0;
    }

    /**
     * The step plan of a fresh run: counted by rank 0 (the others take its numbers); null once
     * cancelled.
     */
    private Plan plan(BatchPipeline pipeline) throws Exception {
        long records = lead() ? pipeline.countEpochRecords(deps.config().data().planCountBudget(), cancelled) : 0;
        if (gang != null) {
            records = gang.group().broadcastFromRankZero(new long[] {records})[0];
        }
        if (records < 0) {
            return null;
        }
        double perStep = spec.getBatchSize();
        long total = Math.max(1, (long) Math.floor(spec.getEpochs() * records / perStep));
        // warm-up = epochs is a valid spec: rounding must not make the warm-up longer than the run
        return new Plan(total, Math.min(total, Math.round(spec.getWarmupEpochs() * records / perStep)), records);
    }

    /**
     * Where this process resumes: its own entry of the checkpoint's positions (one a process), or the
     * position of a one-process job's checkpoint. A checkpoint of another number of processes is refused:
     * its positions split the stream another way.
     */
    private DataPosition positionOfThisProcess(CheckpointManifest m, String reference) {
        Object kept = m.data().get("positions");
        List<DataPosition> positions = kept == null ? List.of(JSON.convertValue(m.data().get("position"), DataPosition.class))
                : Arrays.asList(JSON.convertValue(kept, DataPosition[].class));
        if (positions.size() != partition.world()) {
            throw new IllegalStateException(reference + " was written by a job of " + positions.size() + " process(es); it "
                    + "resumes only with as many, not " + partition.world());
        }
        return positions.get(partition.rank());
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

    /** @param positions every process's data position, by rank (one for a job of one process) */
    private String saveCheckpoint(Parameters params, AdamW optimizer, String stage, long step, List<DataPosition> positions,
            Plan plan, TrainingStep.Result result, double lr) throws IOException {
        DataPosition position = positions.get(0);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", (double) result.loss());
        metrics.put("lr", lr);
        metrics.put("grad_norm", result.gradNorm());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("position", position);
        if (positions.size() > 1) {
            data.put("positions", positions);
        }
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
}
