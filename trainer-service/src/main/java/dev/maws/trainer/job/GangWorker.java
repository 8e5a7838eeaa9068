package dev.maws.trainer.job;

import java.util.Map;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import dev.maws.model.dist.LaunchEnv;
import dev.maws.model.dist.ProcessGroup;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.trainer.TrainerConfig;
import dev.maws.trainer.run.Gang;
import dev.maws.trainer.run.TrainingRuns;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * Worker mode ({@code maws.trainer.worker.job}): this trainer is one process of a job's gang, started
 * by the trainer that is its rank 0 ({@link LocalGang}) or by a Kubernetes training operator. It joins
 * the gang at the master of its launch environment, trains its share of the job and exits: 0 when the
 * job is done, 1 when it failed (the reason logged), 2 when its launch environment or spec is unusable.
 * A failure of any process fails the others' next collective, so the gang ends together; the job
 * resumes from its last checkpoint when the gang is started again.
 */
@Singleton
public class GangWorker {
    private static final Logger LOG = Logger.getLogger(GangWorker.class);

    private final TrainerConfig config;
    private final JobStore store;
    private final JobSpecs specs;
    private final TrainingRuns runs;

    GangWorker(TrainerConfig config, JobStore store, JobSpecs specs, TrainingRuns runs) {
        this.config = config;
        this.store = store;
        this.specs = specs;
        this.runs = runs;
    }

    void start(@Observes StartupEvent event) {
        config.worker().job().ifPresent(id -> {
            Thread t = new Thread(() -> Quarkus.asyncExit(run(id, Map.copyOf(System.getenv()))), "maws-gang-worker");
            t.start();
        });
    }

    /** Runs the job as the process the launch environment names; the exit code. */
    int run(String id, Map<String, String> environment) {
        LaunchEnv env;
        Job job;
        JobSpecs.Accepted accepted;
        int localRank;
        try {
            env = LaunchEnv.from(environment);
            localRank = LaunchEnv.localRank(environment);
            job = job(id);
            accepted = specs.accept(job.getSpec());
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) { // an InvalidSpecException too
            LOG.errorf("%s: worker not started: %s", id, e.getMessage());
            return 2;
        }
        LOG.infof("%s: worker rank %d of %d (local rank %d), joining at %s:%d", id, env.rank(), env.worldSize(), localRank,
                env.masterAddr(), env.masterPort());
        try (Gang gang = new Gang(ProcessGroup.join(env, config.gang().joinTimeout(), config.gang().timeout()), localRank)) {
            Job end = runs.run(job, accepted, () -> false, (j, kind, message) -> {
                if (!kind.equals("progress")) {
                    LOG.infof("%s: rank %d: %s", id, env.rank(), message);
                }
            }, gang);
            LOG.infof("%s: worker rank %d ended at step %d: %s", id, env.rank(), end.getStep(), end.getState());
            return end.getState() == JobState.JOB_STATE_SUCCEEDED ? 0 : 1;
        } catch (Exception | Error e) {
            LOG.errorf(e, "%s: worker rank %d failed: %s", id, env.rank(), e.getMessage());
            return 1;
        }
    }

    /** The job as its record in S3 has it, or as {@code maws.trainer.worker.spec} describes it (a gang launched by Kubernetes). */
    private Job job(String id) throws InvalidProtocolBufferException {
        if (config.worker().spec().isPresent()) {
            JobSpec.Builder spec = JobSpec.newBuilder();
            JsonFormat.parser().merge(config.worker().spec().get(), spec);
            return Job.newBuilder().setId(id).setSpec(spec).setState(JobState.JOB_STATE_RUNNING).build();
        }
        return store.find(id).orElseThrow(() -> new IllegalArgumentException("no job " + id + " in S3 (jobs/" + id
                + ".json) and no maws.trainer.worker.spec"));
    }
}
