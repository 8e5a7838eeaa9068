package dev.maws.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.platform.checkpoint.S3CheckpointFiles;
import dev.maws.proto.v1.GetJobRequest;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.Stage;
import dev.maws.proto.v1.StartJobRequest;
import dev.maws.proto.v1.TrainerServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;

/**
 * Step 4: the three trainings, one after the other on the trainer (one job at a time, as on a GPU
 * node): MAE, WSP from scratch, and WSP initialised from the MAE encoder, both WSP runs with the
 * same budget. With faults on, the trainer is killed with SIGKILL after the first checkpoint of
 * the MAE job and started again; the job must resume from that checkpoint and finish.
 */
final class Training {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** No change of a job's state or step for this long is a stall (a step of the presets takes seconds). */
    static final Duration STALLED = Duration.ofMinutes(15);

    /**
     * A finished job and what the report needs of it.
     *
     * @param killedAtCheckpoint the step of the last checkpoint the job had when the trainer was
     *     killed, -1 if it was not
     * @param resumedFromStep the checkpoint step the restarted trainer resumed it from (its log says),
     *     -1 if it was not killed
     */
    record Trained(Job job, double seconds, long images, List<double[]> lossCurve, long killedAtCheckpoint,
            long resumedFromStep) {
        double imagesPerSecond() {
            return seconds > 0 ? images / seconds : 0;
        }
    }

    private final LocalPlatform platform;
    private final Preset preset;
    private final Progress progress;

    Training(LocalPlatform platform, Preset preset, Progress progress) {
        this.platform = platform;
        this.preset = preset;
        this.progress = progress;
    }

    private TrainerServiceGrpc.TrainerServiceBlockingStub trainer() {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + platform.trainerToken());
        return TrainerServiceGrpc.newBlockingStub(platform.channel("trainer-service"))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    }

    JobSpec mae() {
        return JobSpec.newBuilder().setStage(Stage.STAGE_MAE).setDisplayName("pipeline " + preset.name() + ": mae")
                .setModel(preset.model()).setEpochs(preset.maeEpochs()).setBatchSize(preset.batchSize())
                .setBaseLr(preset.maeBaseLr()).setWeightDecay(0.05).setWarmupEpochs(preset.warmupEpochs())
                .setMaskRatio(0.75).setAugmentation(preset.augmentation()).setSeed(1)
                .setCheckpointEverySteps(preset.checkpointEverySteps()).setProcesses(preset.processes()).build();
    }

    /** WSP with the same budget whether from scratch or from an MAE checkpoint. */
    JobSpec wsp(String vocabulary, String initFrom, String name) {
        return JobSpec.newBuilder().setStage(Stage.STAGE_WSP).setDisplayName("pipeline " + preset.name() + ": " + name)
                .setModel(preset.model()).setVocabularyVersion(vocabulary).setInitFrom(initFrom)
                .setEpochs(preset.wspEpochs()).setBatchSize(preset.batchSize()).setBaseLr(preset.wspBaseLr())
                .setWeightDecay(0.05).setWarmupEpochs(preset.warmupEpochs()).setAugmentation(preset.augmentation())
                .setSeed(2).setCheckpointEverySteps(preset.checkpointEverySteps()).setProcesses(preset.processes()).build();
    }

    /** Starts a job, follows it to the end (with a progress bar) and collects its loss curve. */
    Trained run(String name, JobSpec spec, boolean killOnce) throws Exception {
        Job job = trainer().withDeadlineAfter(2, TimeUnit.MINUTES).startJob(StartJobRequest.newBuilder().setSpec(spec).build());
        Progress.Bar bar = progress.bar(name, 1);
        boolean killed = false;
        long killedAt = -1;
        Stall stall = new Stall(name + " job " + job.getId() + " (log: " + platform.log("trainer-service") + ")", STALLED);
        while (true) {
            job = getJob(job.getId());
            bar.set(job.getStep(), Math.max(1, job.getTotalSteps()), String.format("step %d/%d loss %.4f %.0f img/s",
                    job.getStep(), job.getTotalSteps(), job.getLoss(), job.getImagesPerSecond()));
            if (killOnce && !killed && !job.getLastCheckpoint().isEmpty() && job.getState() == JobState.JOB_STATE_RUNNING
                    && job.getStep() < job.getTotalSteps()) {
                progress.say("faults: killing the trainer with SIGKILL at step " + job.getStep() + " (last checkpoint "
                        + job.getLastCheckpoint() + ")");
                killedAt = checkpointStep(job.getLastCheckpoint());
                platform.kill("trainer-service");
                platform.start("trainer-service");
                killed = true;
                progress.say("faults: trainer started again; the job resumes from its checkpoint");
                continue;
            }
            switch (job.getState()) {
                case JOB_STATE_SUCCEEDED -> {
                    double seconds = Duration.between(Instant.parse(job.getStartedAt()), Instant.parse(job.getFinishedAt()))
                            .toMillis() / 1000.0;
                    List<double[]> curve = lossCurve(job.getId());
                    bar.done(String.format("%s, %d steps in %.0f s, final loss %.4f", job.getLastCheckpoint(), job.getStep(),
                            seconds, job.getLoss()));
                    long resumedFrom = killed ? resumedFrom(job.getId(), killedAt) : -1;
                    return new Trained(job, seconds, job.getStep() * (long) spec.getBatchSize(), curve, killedAt, resumedFrom);
                }
                case JOB_STATE_FAILED, JOB_STATE_CANCELLED -> throw new IllegalStateException(name + " job " + job.getId()
                        + " ended " + job.getState() + ": " + job.getError() + " (log: " + platform.log("trainer-service") + ")");
                default -> {
                    stall.check(job.getState() + " at step " + job.getStep());
                    Thread.sleep(500);
                }
            }
        }
    }

    /**
     * The step the restarted trainer resumed the job from, as its log says; a resume from before the
     * checkpoint that existed at the kill (or none: the job started over) fails the run.
     */
    private long resumedFrom(String jobId, long killedAt) throws java.io.IOException {
        Matcher m = Pattern.compile(Pattern.quote(jobId) + ": resumed from " + Pattern.quote(jobId) + "/step-(\\d+)")
                .matcher(java.nio.file.Files.readString(platform.log("trainer-service")));
        long resumed = -1;
        while (m.find()) {
            resumed = Long.parseLong(m.group(1));
        }
        if (resumed < killedAt) {
            throw new IllegalStateException("job " + jobId + " had its checkpoint at step " + killedAt + " when the trainer "
                    + "was killed, but " + (resumed < 0 ? "was not resumed from a checkpoint" : "was resumed from step "
                    + resumed) + " (log: " + platform.log("trainer-service") + ")");
        }
        return resumed;
    }

    private static long checkpointStep(String reference) {
        Matcher m = S3CheckpointFiles.REFERENCE.matcher(reference);
        if (!m.matches() || m.group(3) == null) {
            throw new IllegalStateException("not a checkpoint reference {job}/step-{n}: " + reference);
        }
        return Long.parseLong(m.group(3));
    }

    /**
     * GetJob, waiting out a trainer that is restarting (UNAVAILABLE, for up to 3 minutes) or slow to
     * answer (DEADLINE_EXCEEDED: a long GC pause, a process stopped for a while) for up to the stall
     * limit, as long as its process lives. One late answer used to end a run of hours. A trainer that
     * was stopped for longer than the deadline may close the connection when it wakes (INTERNAL,
     * "Connection closed after GOAWAY", seen after a 45 s SIGSTOP): the next call opens a new one.
     * Each kind of failure has a window of its own, counted from when that kind began: a restart after
     * a long stall still gets its 3 minutes (and both together bound the whole wait).
     */
    private Job getJob(String id) throws InterruptedException {
        long start = System.nanoTime();
        boolean stalled = false; // the kind of the latest failures: a stall, or UNAVAILABLE (or none yet)
        long since = start; // when that kind began
        boolean said = false;
        while (true) {
            try {
                Job job = trainer().withDeadlineAfter(30, TimeUnit.SECONDS).getJob(GetJobRequest.newBuilder().setId(id).build());
                if (said) {
                    progress.say("trainer-service answers again");
                }
                return job;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                long now = System.nanoTime();
                // a GOAWAY comes after a stall: the stall's window
                boolean stall = code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.INTERNAL;
                if (stall != stalled) {
                    stalled = stall;
                    since = now;
                }
                long waited = now - since;
                boolean retry = now - start < STALLED.toNanos() + TimeUnit.MINUTES.toNanos(3) && switch (code) {
                    case UNAVAILABLE -> waited < TimeUnit.MINUTES.toNanos(3) && platform.running("trainer-service");
                    case DEADLINE_EXCEEDED -> waited < STALLED.toNanos() && platform.running("trainer-service");
                    case INTERNAL -> String.valueOf(e.getStatus().getDescription()).contains("GOAWAY")
                            && waited < STALLED.toNanos() && platform.running("trainer-service");
                    default -> false;
                };
                if (!retry) {
                    throw e;
                }
                if (!said && code == Status.Code.DEADLINE_EXCEEDED) {
                    progress.say("trainer-service did not answer GetJob within 30 s; asking again for up to "
                            + STALLED.toMinutes() + " minutes (log: " + platform.log("trainer-service") + ")");
                    said = true;
                }
                Thread.sleep(500);
            }
        }
    }

    /** (step, loss) of every step, from the job's metrics files next to its checkpoints. */
    private List<double[]> lossCurve(String jobId) throws Exception {
        List<double[]> curve = new ArrayList<>();
        String prefix = "checkpoints/" + jobId + "/metrics/";
        for (String key : platform.store().list(prefix).stream().sorted().toList()) {
            for (String line : new String(platform.store().get(key), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    JsonNode n = JSON.readTree(line);
                    curve.add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()});
                }
            }
        }
        curve.sort((a, b) -> Double.compare(a[0], b[0]));
        // a resumed run rewrites the steps after its checkpoint: keep the last value of each step
        List<double[]> unique = new ArrayList<>();
        for (double[] p : curve) {
            if (!unique.isEmpty() && unique.get(unique.size() - 1)[0] == p[0]) {
                unique.set(unique.size() - 1, p);
            } else {
                unique.add(p);
            }
        }
        if (unique.isEmpty()) {
            throw new IllegalStateException("job " + jobId + " wrote no metrics under " + prefix);
        }
        return unique;
    }
}
