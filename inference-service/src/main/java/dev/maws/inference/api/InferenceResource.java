package dev.maws.inference.api;

import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;

import dev.maws.inference.evaluation.Evaluations;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.proto.v1.ClassifyRequest;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.ListModelsResponse;
import dev.maws.proto.v1.StartEvaluationRequest;
import dev.maws.proto.v1.ZeroShotRequest;
import io.smallrye.common.annotation.Blocking;

/**
 * REST mirror of Embed, Classify, ZeroShot, evaluations and model management: bodies are the proto3 JSON of the gRPC
 * messages (image bytes base64 in {@code images[].data}, or {@code images[].uri}). Errors: 400 / 404 /
 * 429 with {"error": "..."}.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class InferenceResource {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private final Inference inference;
    private final ModelRegistry models;
    private final Evaluations evaluations;
    private final RequestMetrics metrics;

    InferenceResource(Inference inference, ModelRegistry models, Evaluations evaluations, RequestMetrics metrics) {
        this.inference = inference;
        this.models = models;
        this.evaluations = evaluations;
        this.metrics = metrics;
    }

    @POST
    @Path("embed")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Feature vectors of images", description = "{\"model\": \"{job}/latest\", \"images\": "
            + "[{\"data\": \"<base64 PNG/JPEG/WebP>\"} | {\"uri\": \"images/...\"}], \"pooling\": \"POOLING_MEAN\", \"normalize\": true}")
    public Response embed(String body) {
        return respond(() -> metrics.timed("embed", () -> inference.embed(parse(body, EmbedRequest.newBuilder()).build())));
    }

    @POST
    @Path("classify")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Top-k synsets of the WSP head", description = "{\"model\": ..., \"images\": [...], \"topK\": 5}")
    public Response classify(String body) {
        return respond(() -> metrics.timed("classify",
                () -> inference.classify(parse(body, ClassifyRequest.newBuilder()).build())));
    }

    @POST
    @Path("zero-shot")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Per-class probabilities from the WSP head",
            description = "{\"model\": ..., \"images\": [...], \"classes\": [\"T-shirt/top\", \"n03236735\"]}")
    public Response zeroShot(String body) {
        return respond(() -> metrics.timed("zero_shot",
                () -> inference.zeroShot(parse(body, ZeroShotRequest.newBuilder()).build())));
    }

    @POST
    @Path("evaluations")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Start an evaluation (zero-shot, linear probe, few-shot) of a checkpoint on a dataset in S3",
            description = "{\"model\": \"{job}/latest\", \"dataset\": \"fashion-mnist\", \"split\": \"test\", "
                    + "\"fewShotK\": [1, 5, 10], \"fewShotSeeds\": 3}; answers 202 with the queued evaluation")
    public Response startEvaluation(String body) {
        try {
            return Response.accepted(PRINTER.print(evaluations.start(parse(body, StartEvaluationRequest.newBuilder()).build())))
                    .build();
        } catch (Exception e) {
            return error(e);
        }
    }

    @GET
    @Path("evaluations/{id}")
    @Operation(summary = "An evaluation: state and progress while it runs, the report (reportJson) once it succeeded")
    public Response getEvaluation(@PathParam("id") String id) {
        return respond(() -> evaluations.get(id));
    }

    @GET
    @Path("models")
    @Operation(summary = "Loaded models, most recently used first")
    public Response list() {
        return respond(() -> {
            ListModelsResponse.Builder out = ListModelsResponse.newBuilder();
            models.list().forEach(m -> out.addModels(Inference.info(m, "loaded")));
            return out.build();
        });
    }

    @POST
    @Path("models/{job}/{step}")
    @Operation(summary = "Load a checkpoint", description = "step is \"step-{n}\" or \"latest\"")
    public Response load(@PathParam("job") String job, @PathParam("step") String step) {
        return respond(() -> Inference.info(models.load(job + "/" + step), "loaded"));
    }

    @DELETE
    @Path("models/{job}/{step}")
    @Operation(summary = "Unload a checkpoint")
    public Response unload(@PathParam("job") String job, @PathParam("step") String step) {
        return respond(() -> {
            if (!models.unload(job + "/" + step)) {
                throw new InferenceGrpcService.NotLoadedException("model " + job + "/" + step + " is not loaded");
            }
            return dev.maws.proto.v1.ModelInfo.newBuilder().setReference(job + "/" + step).setState("unloaded").build();
        });
    }

    private static <B extends Message.Builder> B parse(String body, B builder) {
        try {
            PARSER.merge(body == null ? "" : body, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("body is not a " + builder.getDescriptorForType().getName()
                    + " in proto3 JSON: " + e.getMessage());
        }
    }

    private static Response respond(InferenceGrpcService.Call<? extends Message> call) {
        try {
            return Response.ok(PRINTER.print(call.get())).build();
        } catch (Exception e) {
            return error(e);
        }
    }

    /** The REST answer to an error of the inference layer: its status and {"error": message}. */
    public static Response error(Exception e) {
        return Response.status(InferenceGrpcService.httpStatus(e)).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())).build();
    }
}
