package dev.maws.trainer.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;

import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.JobState;
import dev.maws.proto.v1.ListJobsResponse;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;

/**
 * REST mirror of {@code TrainerService}: bodies are the proto3 JSON of the same messages (a JobSpec
 * in, a Job out), progress as Server-Sent Events. POST calls need {@code Authorization: Bearer}.
 */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class JobResource {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private final JobManager jobs;
    private final CheckpointCatalog checkpoints;
    private final ApiToken token;

    JobResource(JobManager jobs, CheckpointCatalog checkpoints, ApiToken token) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.token = token;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Validate and queue a job", description = "Body: a JobSpec in proto3 JSON "
            + "({\"stage\":\"STAGE_MAE\",\"preset\":\"tiny-28\",\"epochs\":0.1,\"batchSize\":64}). 400 lists every problem.")
    public Response start(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, String body) {
        token.check(authorization);
        JobSpec.Builder spec = JobSpec.newBuilder();
        try {
            PARSER.merge(body == null ? "" : body, spec);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("body is not a JobSpec in proto3 JSON: " + e.getMessage());
        }
        return Response.status(Response.Status.CREATED).entity(json(jobs.start(spec.build()))).build();
    }

    @GET
    @Operation(summary = "Jobs, newest first", description = "?state=running&state=queued filters by state.")
    public String list(@QueryParam("state") List<String> states) {
        Set<JobState> wanted = EnumSet.noneOf(JobState.class);
        for (String s : states) {
            try {
                JobState state = JobState.valueOf("JOB_STATE_" + s.trim().toUpperCase(Locale.ROOT).replace("JOB_STATE_", ""));
                if (state == JobState.JOB_STATE_UNSPECIFIED || state == JobState.UNRECOGNIZED) {
                    throw new IllegalArgumentException(s); // as gRPC's ListJobs: no job is ever in it
                }
                wanted.add(state);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("state \"" + s + "\" is not one of queued, running, succeeded, failed, "
                        + "cancelled, interrupted");
            }
        }
        return json(ListJobsResponse.newBuilder().addAllJobs(jobs.list(wanted)).build());
    }

    @GET
    @Path("{id}")
    public String get(@PathParam("id") String id) {
        return json(jobs.get(CheckpointCatalog.checkJobId(id)).orElseThrow(() -> new JobManager.NoSuchJobException(id)));
    }

    @POST
    @Path("{id}/cancel")
    public String cancel(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        token.check(authorization);
        return json(jobs.cancel(CheckpointCatalog.checkJobId(id)));
    }

    @POST
    @Path("{id}/resume")
    public String resume(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        token.check(authorization);
        return json(jobs.resume(CheckpointCatalog.checkJobId(id)));
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Progress events as Server-Sent Events, until the job ends")
    public Multi<String> events(@PathParam("id") String id) {
        return jobs.watch(CheckpointCatalog.checkJobId(id)).map(JobResource::json);
    }

    @GET
    @Path("{id}/checkpoints")
    @Operation(summary = "Complete checkpoints of a job, oldest first")
    public String checkpoints(@PathParam("id") String id) throws IOException {
        return json(TrainerGrpcService.checkpointsOf(jobs, checkpoints, id));
    }

    @ServerExceptionMapper
    public Response invalidSpec(InvalidSpecException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("problems", new ArrayList<>(e.problems()));
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON).entity(body).build();
    }

    @ServerExceptionMapper
    public Response invalid(IllegalArgumentException e) {
        return error(Response.Status.BAD_REQUEST, e);
    }

    @ServerExceptionMapper
    public Response notFound(JobManager.NoSuchJobException e) {
        return error(Response.Status.NOT_FOUND, e);
    }

    @ServerExceptionMapper
    public Response wrongState(IllegalStateException e) {
        return error(Response.Status.CONFLICT, e);
    }

    @ServerExceptionMapper
    public Response queueFull(JobManager.QueueFullException e) {
        return error(Response.Status.TOO_MANY_REQUESTS, e);
    }

    @ServerExceptionMapper
    public Response unauthenticated(SecurityException e) {
        return Response.status(Response.Status.UNAUTHORIZED).type(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").entity(Map.of("error", e.getMessage())).build();
    }

    private static Response error(Response.Status status, RuntimeException e) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", e.getMessage())).build();
    }

    static String json(Message m) {
        try {
            return PRINTER.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
