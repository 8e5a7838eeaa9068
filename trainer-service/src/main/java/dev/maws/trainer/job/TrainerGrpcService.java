package dev.maws.trainer.job;

import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.proto.v1.CancelJobRequest;
import dev.maws.proto.v1.CheckpointInfo;
import dev.maws.proto.v1.GetJobRequest;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobEvent;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.ListCheckpointsRequest;
import dev.maws.proto.v1.ListCheckpointsResponse;
import dev.maws.proto.v1.ListJobsRequest;
import dev.maws.proto.v1.ListJobsResponse;
import dev.maws.proto.v1.MutinyTrainerServiceGrpc;
import dev.maws.proto.v1.ResumeJobRequest;
import dev.maws.proto.v1.StartJobRequest;
import dev.maws.proto.v1.WatchJobRequest;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * gRPC {@code TrainerService}. StartJob, CancelJob and ResumeJob need the bearer token (checked by
 * {@link BearerTokenInterceptor}); errors map to INVALID_ARGUMENT (bad spec or id, every problem
 * listed), NOT_FOUND, FAILED_PRECONDITION (wrong state) and RESOURCE_EXHAUSTED (queue full).
 */
@GrpcService
@RegisterInterceptor(BearerTokenInterceptor.class)
public class TrainerGrpcService extends MutinyTrainerServiceGrpc.TrainerServiceImplBase {
    private final JobManager jobs;
    private final CheckpointCatalog checkpoints;

    TrainerGrpcService(JobManager jobs, CheckpointCatalog checkpoints) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
    }

    @Override
    @Blocking
    public Uni<Job> startJob(StartJobRequest request) {
        return call(() -> jobs.start(request.getSpec()));
    }

    @Override
    @Blocking
    public Uni<Job> getJob(GetJobRequest request) {
        return call(() -> jobs.get(CheckpointCatalog.checkJobId(request.getId()))
                .orElseThrow(() -> new JobManager.NoSuchJobException(request.getId())));
    }

    @Override
    @Blocking
    public Uni<ListJobsResponse> listJobs(ListJobsRequest request) {
        return call(() -> {
            Set<JobState> states = EnumSet.noneOf(JobState.class);
            for (JobState s : request.getStatesList()) {
                if (s == JobState.JOB_STATE_UNSPECIFIED || s == JobState.UNRECOGNIZED) {
                    throw new IllegalArgumentException("states: " + s + " is not a job state");
                }
                states.add(s);
            }
            return ListJobsResponse.newBuilder().addAllJobs(jobs.list(states)).build();
        });
    }

    @Override
    @Blocking
    public Uni<Job> cancelJob(CancelJobRequest request) {
        return call(() -> jobs.cancel(CheckpointCatalog.checkJobId(request.getId())));
    }

    @Override
    @Blocking
    public Uni<Job> resumeJob(ResumeJobRequest request) {
        return call(() -> jobs.resume(CheckpointCatalog.checkJobId(request.getId())));
    }

    @Override
    @Blocking // the job's current state may come from S3: not on the event loop
    public Multi<JobEvent> watchJob(WatchJobRequest request) {
        try {
            return jobs.watch(CheckpointCatalog.checkJobId(request.getId()));
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(status(e));
        }
    }

    @Override
    @Blocking
    public Uni<ListCheckpointsResponse> listCheckpoints(ListCheckpointsRequest request) {
        return call(() -> {
            return checkpointsOf(jobs, checkpoints, request.getJobId());
        });
    }

    /** A job's complete checkpoints, oldest first (gRPC and REST). */
    static ListCheckpointsResponse checkpointsOf(JobManager jobs, CheckpointCatalog checkpoints, String jobId)
            throws IOException {
        List<CheckpointCatalog.Entry> found = checkpoints.list(CheckpointCatalog.checkJobId(jobId));
        if (found.isEmpty() && jobs.get(jobId).isEmpty()) { // no such job, rather than none yet
            throw new JobManager.NoSuchJobException(jobId);
        }
        ListCheckpointsResponse.Builder b = ListCheckpointsResponse.newBuilder();
        for (CheckpointCatalog.Entry e : found) {
            b.addCheckpoints(info(e));
        }
        return b.build();
    }

    static CheckpointInfo info(CheckpointCatalog.Entry e) {
        CheckpointManifest m = e.manifest();
        CheckpointInfo.Builder b = CheckpointInfo.newBuilder().setReference(e.reference()).setStep(e.step())
                .setEpoch(m.epoch()).setStage(m.stage() == null ? "" : m.stage())
                .setCreatedAt(m.createdAt() == null ? "" : m.createdAt());
        if (m.metrics() != null) {
            m.metrics().forEach((k, v) -> {
                if (v != null) {
                    b.putMetrics(k, v);
                }
            });
        }
        return b.build();
    }

    private interface Call<T> {
        T get() throws IOException;
    }

    private static <T> Uni<T> call(Call<T> call) {
        try {
            return Uni.createFrom().item(call.get());
        } catch (IOException | RuntimeException e) {
            return Uni.createFrom().failure(status(e));
        }
    }

    /** The gRPC status of an error of the job layer. */
    static RuntimeException status(Exception e) {
        Status s;
        if (e instanceof JobManager.NoSuchJobException) {
            s = Status.NOT_FOUND;
        } else if (e instanceof JobManager.QueueFullException) {
            s = Status.RESOURCE_EXHAUSTED;
        } else if (e instanceof IllegalStateException) {
            s = Status.FAILED_PRECONDITION;
        } else if (e instanceof IllegalArgumentException) {
            s = Status.INVALID_ARGUMENT;
        } else {
            s = Status.INTERNAL;
        }
        return s.withDescription(e.getMessage()).asRuntimeException();
    }
}
