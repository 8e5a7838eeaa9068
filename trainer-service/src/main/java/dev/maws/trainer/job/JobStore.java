package dev.maws.trainer.job;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.Job;
import dev.maws.platform.checkpoint.CheckpointCatalog;

/**
 * Job state in the platform bucket, {@code jobs/{id}.json} (the proto3 JSON of {@link Job}), so a
 * restarted trainer finds its jobs and any pod can answer for them.
 */
@Singleton
public class JobStore {
    private static final Logger LOG = Logger.getLogger(JobStore.class);
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final ObjectStore store;

    public JobStore(ObjectStore store) {
        this.store = store;
    }

    public void save(Job job) {
        try {
            store.put(key(job.getId()), PRINTER.print(job).getBytes(StandardCharsets.UTF_8), "application/json");
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<Job> find(String id) {
        return store.find(key(id)).map(JobStore::parse);
    }

    /** Every job, newest first; an unreadable job file is logged and left out. */
    public List<Job> all() {
        List<Job> jobs = new ArrayList<>();
        for (String key : store.list("jobs/")) {
            if (key.endsWith(".json")) {
                try {
                    store.find(key).map(JobStore::parse).ifPresent(jobs::add);
                } catch (RuntimeException e) {
                    LOG.warnf("skipping %s: %s", key, e.getMessage());
                }
            }
        }
        jobs.sort(Comparator.comparing(Job::getCreatedAt).thenComparing(Job::getId).reversed());
        return jobs;
    }

    private static String key(String id) {
        return "jobs/" + CheckpointCatalog.checkJobId(id) + ".json";
    }

    private static Job parse(byte[] bytes) {
        Job.Builder b = Job.newBuilder();
        try {
            PARSER.merge(new String(bytes, StandardCharsets.UTF_8), b);
        } catch (InvalidProtocolBufferException e) { // a server-side problem (500), not the caller's wrong state (409)
            throw new java.io.UncheckedIOException(new java.io.IOException("job file is not a Job: " + e.getMessage(), e));
        }
        return b.build();
    }
}
