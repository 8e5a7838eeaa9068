package dev.maws.trainer.job;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.maws.platform.objectstore.ObjectStore.ObjectStoreException;
import dev.maws.proto.v1.Job;
import dev.maws.proto.v1.JobEvent;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.Stage;
import dev.maws.trainer.TrainerConfig;
import dev.maws.trainer.run.TrainingRuns;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;

/**
 * The trainer's jobs: one runs at a time (a trainer owns its node's devices), the rest wait in a
 * queue. Every state change is saved to {@code jobs/{id}.json} first, so a trainer that was killed
 * or shut down finds its RUNNING, QUEUED and INTERRUPTED jobs at start-up and runs them again from
 * their last complete checkpoint. One trainer per bucket: two trainers sharing one would both pick
 * those jobs up.
 */
@Startup
@Singleton
public class JobManager {
    private static final Logger LOG = Logger.getLogger(JobManager.class);
    private static final int END_SAVE_ATTEMPTS = 5;
    private static final long RETRY_PAUSE_MILLIS = 2_000;
    private static final Set<JobState> ENDED = Set.of(JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED,
            JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_INTERRUPTED);

    private final TrainerConfig config;
    private final JobStore store;
    private final JobSpecs specs;
    private final TrainingRuns runs;
    private final LinkedBlockingDeque<String> queue = new LinkedBlockingDeque<>();
    private final Set<String> cancelRequests = ConcurrentHashMap.newKeySet();
    private final Map<String, List<Consumer<JobEvent>>> watchers = new ConcurrentHashMap<>();
    private final Thread worker;
    private volatile Job running;
    private volatile boolean stopping;
    private volatile boolean checkpointedThisRun;

    JobManager(TrainerConfig config, JobStore store, JobSpecs specs, TrainingRuns runs) {
        this.config = config;
        this.store = store;
        this.specs = specs;
        this.runs = runs;
        if (config.resumeOnStart() && config.worker().job().isEmpty()) { // a gang's worker runs its one job only
            requeueUnfinished();
        }
        this.worker = new Thread(this::work, "maws-trainer-jobs");
        this.worker.start();
    }

    /**
     * Validates and queues a job.
     *
     * @throws InvalidSpecException listing every problem of the spec
     * @throws QueueFullException when maws.trainer.max-queued-jobs are waiting
     */
    public synchronized Job start(JobSpec spec) {
        JobSpecs.Accepted accepted = specs.accept(spec);
        if (queue.size() >= config.maxQueuedJobs()) {
            throw new QueueFullException("the queue holds maws.trainer.max-queued-jobs=" + config.maxQueuedJobs()
                    + " jobs; try again when one has started");
        }
        Job job = Job.newBuilder().setId(newId(accepted.spec().getStage())).setSpec(accepted.spec())
                .setState(JobState.JOB_STATE_QUEUED).setCreatedAt(now()).build();
        store.save(job);
        queue.add(job.getId());
        publish(job, "state", "queued");
        LOG.infof("%s: queued (%s)", job.getId(), job.getSpec().getDisplayName());
        return job;
    }

    /** The job as of now (the running one from memory, others from S3). */
    public Optional<Job> get(String id) {
        Job r = running;
        if (r != null && r.getId().equals(id)) {
            return Optional.of(r);
        }
        return store.find(id);
    }

    /** Jobs newest first, only those in {@code states} unless it is empty. */
    public List<Job> list(Set<JobState> states) {
        Job r = running;
        return store.all().stream().map(j -> r != null && r.getId().equals(j.getId()) ? r : j)
                .filter(j -> states.isEmpty() || states.contains(j.getState())).toList();
    }

    /**
     * Stops a queued or running job; a running one stops before its next step and keeps its last
     * complete checkpoint.
     *
     * @throws IllegalStateException when the job has already ended
     */
    public synchronized Job cancel(String id) {
        Job job = get(id).orElseThrow(() -> new NoSuchJobException(id));
        if (job.getState() == JobState.JOB_STATE_QUEUED) {
            queue.remove(id);
            Job cancelled = job.toBuilder().setState(JobState.JOB_STATE_CANCELLED).setFinishedAt(now()).build();
            store.save(cancelled);
            publish(cancelled, "state", "cancelled while queued");
            return cancelled;
        }
        if (job.getState() == JobState.JOB_STATE_RUNNING && isOrphan(job)) {
            Job cancelled = job.toBuilder().setState(JobState.JOB_STATE_CANCELLED).setFinishedAt(now()).build();
            store.save(cancelled);
            publish(cancelled, "state", "cancelled (it was left running by a trainer that stopped)");
            return cancelled;
        }
        if (job.getState() == JobState.JOB_STATE_RUNNING) {
            cancelRequests.add(id);
            return job;
        }
        throw new IllegalStateException("job " + id + " is " + stateName(job.getState()) + "; only queued or running jobs "
                + "can be cancelled");
    }

    /**
     * Queues an interrupted, cancelled or failed job again; it continues from its last complete
     * checkpoint.
     */
    public synchronized Job resume(String id) {
        Job job = get(id).orElseThrow(() -> new NoSuchJobException(id));
        boolean orphan = job.getState() == JobState.JOB_STATE_RUNNING && isOrphan(job);
        if (!orphan && (!ENDED.contains(job.getState()) || job.getState() == JobState.JOB_STATE_SUCCEEDED)) {
            throw new IllegalStateException("job " + id + " is " + stateName(job.getState()) + "; only interrupted, cancelled "
                    + "or failed jobs can be resumed");
        }
        if (queue.size() >= config.maxQueuedJobs()) {
            throw new QueueFullException("the queue holds maws.trainer.max-queued-jobs=" + config.maxQueuedJobs() + " jobs");
        }
        // asked for by someone: the crashes that may have failed it count no more
        Job queued = job.toBuilder().setState(JobState.JOB_STATE_QUEUED).clearError().clearFinishedAt().setCrashRestarts(0)
                .build();
        store.save(queued);
        queue.add(id);
        publish(queued, "state", "queued to resume");
        return queued;
    }

    /**
     * RUNNING in S3 but run by no one here: left by a trainer that was killed, and not queued again
     * at start (maws.trainer.resume-on-start=false). Under the lock: runOne marks a job running and
     * sets {@code running} in one synchronized step.
     */
    private boolean isOrphan(Job job) {
        Job r = running;
        return (r == null || !r.getId().equals(job.getId())) && !queue.contains(job.getId());
    }

    /** The job's events from now on, starting with its current state; completes when the job ends. */
    public Multi<JobEvent> watch(String id) {
        Job now = get(id).orElseThrow(() -> new NoSuchJobException(id));
        // LATEST: a watcher that stops reading holds one event, not every event of a job that runs for days
        return Multi.createFrom().<JobEvent>emitter(emitter -> {
            Consumer<JobEvent> watcher = event -> {
                emitter.emit(event);
                if (event.getKind().equals("state") && ENDED.contains(event.getJob().getState())) {
                    emitter.complete();
                }
            };
            watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(watcher);
            emitter.onTermination(() -> watchers.computeIfPresent(id, (k, list) -> {
                list.remove(watcher);
                return list.isEmpty() ? null : list;
            }));
            Job current = get(id).orElse(now);
            watcher.accept(JobEvent.newBuilder().setJob(current).setKind("state").setMessage(stateName(current.getState()))
                    .build());
        }, io.smallrye.mutiny.subscription.BackPressureStrategy.LATEST);
    }

    private void work() {
        while (!stopping) {
            String id;
            try {
                // a timed wait, not an interrupt from stop(): an interrupt that arrived just as a job was
                // taken would stay set and fail the S3 calls that save its state
                id = queue.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (id == null) {
                continue;
            }
            try {
                runOne(id);
            } catch (Throwable e) { // an Error too (a GPU library's): the worker must live on for the jobs queued
                LOG.errorf(e, "%s: could not be run", id);
            }
        }
    }

    private void runOne(String id) {
        Job job = null;
        // under the lock of cancel(): a job is either cancelled while still queued or seen running by it
        synchronized (this) {
            try {
                Optional<Job> found = store.find(id);
                if (found.isEmpty() || found.get().getState() != JobState.JOB_STATE_QUEUED) {
                    return; // cancelled meanwhile
                }
                job = found.get().toBuilder().setState(JobState.JOB_STATE_RUNNING).clearError().build();
                if (job.getStartedAt().isEmpty()) {
                    job = job.toBuilder().setStartedAt(now()).build();
                }
                store.save(job);
                running = job;
                checkpointedThisRun = false;
            } catch (ObjectStoreException e) { // S3 unreachable: the job stays queued, at the back, rather than lost
                LOG.warnf("%s: could not start (%s); queued again", id, e.getMessage());
                queue.add(id);
                job = null;
            }
        }
        if (job == null) {
            pause(RETRY_PAUSE_MILLIS); // outside the lock: cancel() must not wait for it
            return;
        }
        publish(job, "state", "running");
        Job end;
        try {
            JobSpecs.Accepted accepted = specs.accept(job.getSpec());
            end = run(job, accepted);
            if (stopping && end.getState() == JobState.JOB_STATE_CANCELLED && !cancelRequests.contains(id)) {
                end = end.toBuilder().setState(JobState.JOB_STATE_INTERRUPTED).build();
            }
        } catch (Throwable e) { // any Error too: the job must end with its reason, not stay RUNNING
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            Job last = running == null ? job : running;
            if (e instanceof LocalGang.LostWorkerException && !stopping && !cancelRequests.contains(id)) {
                end = afterCheckpoint(last, false);
                end = end.toBuilder().setCrashRestarts(end.getCrashRestarts() + 1).build();
                if (end.getCrashRestarts() <= config.maxCrashRestarts()) {
                    restartGang(end, reason);
                    return;
                }
                reason += "; not restarted again, past maws.trainer.max-crash-restarts=" + config.maxCrashRestarts()
                        + " restarts without a new checkpoint in between";
            }
            if (stopping) {
                LOG.infof("%s: interrupted by shutdown (%s)", id, reason);
                end = last.toBuilder().setState(JobState.JOB_STATE_INTERRUPTED).build();
            } else {
                LOG.errorf(e, "%s: failed: %s", id, reason);
                end = last.toBuilder().setState(JobState.JOB_STATE_FAILED).setError(reason).build();
            }
        }
        if (end.getState() != JobState.JOB_STATE_INTERRUPTED) {
            end = end.toBuilder().setFinishedAt(now()).build();
        }
        end = afterCheckpoint(end, false);
        try {
            saveEnd(end);
        } finally { // watchers learn the outcome even when S3 did not take it
            synchronized (this) { // a cancel() from now on sees the job ended, so none is left over for a later resume
                running = null;
                cancelRequests.remove(id);
            }
            LOG.infof("%s: %s at step %d%s", id, stateName(end.getState()), end.getStep(),
                    end.getError().isEmpty() ? "" : ": " + end.getError());
            publish(end, "state", stateName(end.getState()));
        }
    }

    /**
     * Runs the job: in this process, or as rank 0 of a gang of worker processes that this trainer starts.
     * A failure of the gang that a worker's end explains is a {@link LocalGang.LostWorkerException}.
     */
    private Job run(Job job, JobSpecs.Accepted accepted) throws Exception {
        String id = job.getId();
        java.util.function.BooleanSupplier cancelled = () -> stopping || cancelRequests.contains(id);
        int processes = Math.max(1, accepted.spec().getProcesses());
        if (processes == 1) {
            return runs.run(job, accepted, cancelled, this::update);
        }
        return LocalGang.run(id, processes, config.gang(), gang -> runs.run(job, accepted, cancelled, this::update, gang));
    }

    /** A lost worker process fails the gang; it starts again, all of it, from the job's last checkpoint. */
    private void restartGang(Job job, String reason) {
        Job queued = job.toBuilder().setState(JobState.JOB_STATE_QUEUED).build();
        LOG.warnf("%s: %s; the gang starts again from %s (restart %d of at most %d without a new checkpoint)", job.getId(),
                reason, job.getLastCheckpoint().isEmpty() ? "the beginning" : job.getLastCheckpoint(), job.getCrashRestarts(),
                config.maxCrashRestarts());
        saveEnd(queued);
        synchronized (this) {
            running = null;
            queue.addFirst(job.getId());
        }
        publish(queued, "state", "a worker process was lost (" + reason + "); restarting the gang from its last checkpoint");
    }

    /**
     * The job's final record, retried: a job whose end is not saved stays RUNNING in S3, and the next
     * start would take it for a crash.
     */
    private void saveEnd(Job end) {
        for (int attempt = 1;; attempt++) {
            try {
                store.save(end);
                return;
            } catch (ObjectStoreException e) {
                if (attempt == END_SAVE_ATTEMPTS) {
                    LOG.errorf("%s: its final state %s could not be saved after %d attempts: %s", end.getId(),
                            stateName(end.getState()), attempt, e.getMessage());
                    throw e;
                }
                LOG.warnf("%s: saving its final state failed (attempt %d of %d), retrying: %s", end.getId(), attempt,
                        END_SAVE_ATTEMPTS, e.getMessage());
                pause(RETRY_PAUSE_MILLIS * attempt);
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Once the running job has written a checkpoint, the kills before it were not its doing: its crash
     * count is 0 in every record saved from then on (the run itself carries the count it started with).
     */
    private Job afterCheckpoint(Job job, boolean checkpointNow) {
        if (checkpointNow) {
            checkpointedThisRun = true;
        }
        return checkpointedThisRun && job.getCrashRestarts() != 0 ? job.toBuilder().setCrashRestarts(0).build() : job;
    }

    /** Progress of the running job: kept in memory, saved at checkpoints and progress intervals, sent to watchers. */
    private void update(Job job, String kind, String message) {
        job = afterCheckpoint(job, kind.equals("checkpoint"));
        running = job;
        try {
            store.save(job);
        } catch (ObjectStoreException e) {
            // the record is only what GetJob shows after a restart (a resume starts from the checkpoints
            // themselves): an S3 hiccup must not fail hours of training; the next update writes it again
            LOG.warnf("%s: could not save the job's %s update, going on: %s", job.getId(), kind, e.getMessage());
        }
        publish(job, kind, message);
    }

    private void publish(Job job, String kind, String message) {
        JobEvent event = JobEvent.newBuilder().setJob(job).setKind(kind).setMessage(message).build();
        for (Consumer<JobEvent> w : watchers.getOrDefault(job.getId(), List.of())) {
            try {
                w.accept(event);
            } catch (RuntimeException e) {
                LOG.debugf("watcher of %s failed: %s", job.getId(), e.getMessage());
            }
        }
    }

    /**
     * Jobs a stopped trainer left unfinished are queued again, oldest first: RUNNING or QUEUED (it was
     * killed) and INTERRUPTED (it was shut down, e.g. by a rollout).
     */
    private void requeueUnfinished() {
        List<Job> unfinished = store.all().stream()
                .filter(j -> j.getState() == JobState.JOB_STATE_RUNNING || j.getState() == JobState.JOB_STATE_QUEUED
                        || j.getState() == JobState.JOB_STATE_INTERRUPTED)
                .sorted(java.util.Comparator.comparing(Job::getCreatedAt)).toList();
        for (Job j : unfinished) {
            Job.Builder b = j.toBuilder().setState(JobState.JOB_STATE_QUEUED);
            if (j.getState() == JobState.JOB_STATE_RUNNING) { // killed while it ran: maybe by the job itself
                b.setCrashRestarts(j.getCrashRestarts() + 1);
                if (b.getCrashRestarts() > config.maxCrashRestarts()) {
                    String reason = "the trainer was killed " + b.getCrashRestarts() + " times while running this job without"
                            + " a new checkpoint in between (" + (j.getLastCheckpoint().isEmpty() ? "none yet"
                            : "last " + j.getLastCheckpoint()) + ", step " + j.getStep() + "); not resumed again, past "
                            + "maws.trainer.max-crash-restarts=" + config.maxCrashRestarts() + ": check the trainer's memory "
                            + "limit against the job's model and batch size, then ResumeJob";
                    LOG.errorf("%s: %s", j.getId(), reason);
                    store.save(b.setState(JobState.JOB_STATE_FAILED).setError(reason).setFinishedAt(now()).build());
                    continue;
                }
            }
            if (j.getState() != JobState.JOB_STATE_QUEUED) {
                LOG.infof("%s: was %s when the trainer stopped; queued to resume from its last checkpoint", j.getId(),
                        stateName(j.getState()));
            }
            store.save(b.build());
            queue.add(j.getId());
        }
    }

    /**
     * Stops the running job before its next step (INTERRUPTED: a restart resumes it). On the shutdown
     * event, not at bean destruction: the job's last state must reach S3 before the object store's
     * client is closed (it was not, and a SIGTERM left the job RUNNING there).
     */
    void stop(@Observes ShutdownEvent event) {
        stopping = true; // a waiting worker sees it within its poll; a running job before its next step
        try {
            worker.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String newId(Stage stage) {
        String kind = stage == Stage.STAGE_MAE ? "mae" : "wsp";
        String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replaceAll("[-:TZ]", "");
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        return kind + "-" + time + "-" + HexFormat.of().formatHex(random);
    }

    private static String now() {
        return Instant.now().toString();
    }

    static String stateName(JobState s) {
        return s.name().replace("JOB_STATE_", "").toLowerCase(Locale.ROOT);
    }

    /** No job of that id. */
    public static final class NoSuchJobException extends RuntimeException {
        public NoSuchJobException(String id) {
            super("no job " + id);
        }
    }

    /** The queue is full. */
    public static final class QueueFullException extends RuntimeException {
        public QueueFullException(String message) {
            super(message);
        }
    }
}
