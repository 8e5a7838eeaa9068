package dev.maws.inference.oip;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.protobuf.ByteString;

import dev.maws.inference.api.InferenceGrpcService;
import dev.maws.inference.api.InferenceResource;
import dev.maws.proto.v1.Image;
import io.smallrye.common.annotation.Blocking;

/**
 * The KServe / Triton Open Inference Protocol v2 over REST, so existing clients work unchanged:
 * {@code /v2/models/{job}/versions/step-{n}} ({@code /v2/models/{job}} = the latest). Image bytes go
 * as base64 strings. What the calls mean is {@link OpenInference}.
 */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class OpenInferenceResource {
    /** A tensor of an infer request or response. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tensor(String name, String datatype, List<Long> shape, List<Object> data) {}

    /** The name of a requested output. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RequestedOutput(String name) {}

    /** POST /v2/models/{model}[/versions/{version}]/infer body. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record InferRequest(String id, List<Tensor> inputs, List<RequestedOutput> outputs) {}

    /** Its answer. */
    public record InferResponse(@JsonProperty("model_name") String modelName,
            @JsonProperty("model_version") String modelVersion, String id, List<Tensor> outputs) {}

    private final OpenInference oip;

    OpenInferenceResource(OpenInference oip) {
        this.oip = oip;
    }

    @GET
    @Operation(summary = "OIP v2 server metadata")
    public Map<String, Object> server() {
        return Map.of("name", OpenInference.SERVER, "version", "v1", "extensions", List.of());
    }

    @GET
    @Path("health/live")
    public Map<String, Object> live() {
        return Map.of("live", true);
    }

    @GET
    @Path("health/ready")
    public Response ready() {
        boolean ready = oip.ready();
        return Response.status(ready ? 200 : 503).entity(Map.of("ready", ready)).build();
    }

    @GET
    @Path("models/{model}")
    @Operation(summary = "OIP v2 model metadata of a job's latest checkpoint")
    public Response metadata(@PathParam("model") String model) {
        return metadata(model, "latest");
    }

    @GET
    @Path("models/{model}/versions/{version}")
    @Operation(summary = "OIP v2 model metadata of one checkpoint")
    public Response metadata(@PathParam("model") String model, @PathParam("version") String version) {
        return respond(() -> oip.metadata(model, version));
    }

    @GET
    @Path("models/{model}/ready")
    public Response modelReady(@PathParam("model") String model) {
        return respond(() -> Map.of("name", model, "ready", oip.modelReady(model, "latest")));
    }

    @POST
    @Path("models/{model}/infer")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "OIP v2 inference on a job's latest checkpoint")
    public Response infer(@PathParam("model") String model, InferRequest request) {
        return infer(model, "latest", request);
    }

    @POST
    @Path("models/{model}/versions/{version}/infer")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "OIP v2 inference on one checkpoint")
    public Response infer(@PathParam("model") String model, @PathParam("version") String version, InferRequest request) {
        return respond(() -> {
            if (request == null || request.inputs() == null || request.inputs().size() != 1) {
                throw new IllegalArgumentException("inputs must hold exactly one tensor: \"image\" (BYTES) or \"pixels\" (FP32)");
            }
            Tensor in = request.inputs().get(0);
            OpenInference.Input input;
            if ("image".equals(in.name())) {
                require("BYTES".equals(in.datatype()), "input image must be BYTES (base64 PNG/JPEG/WebP), not " + in.datatype());
                List<Image> images = new ArrayList<>();
                for (Object o : data(in)) {
                    require(o instanceof String, "image data must be base64 strings");
                    try {
                        images.add(Image.newBuilder().setData(ByteString.copyFrom(Base64.getDecoder().decode((String) o)))
                                .build());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("image[" + images.size() + "] is not base64: " + e.getMessage());
                    }
                }
                input = OpenInference.images(in.shape(), images);
            } else if ("pixels".equals(in.name())) {
                require("FP32".equals(in.datatype()), "input pixels must be FP32, not " + in.datatype());
                List<Object> values = data(in);
                float[] pixels = new float[values.size()];
                for (int i = 0; i < pixels.length; i++) {
                    require(values.get(i) instanceof Number, "pixels data must be numbers");
                    pixels[i] = ((Number) values.get(i)).floatValue();
                }
                input = OpenInference.pixels(in.shape(), pixels);
            } else {
                throw new IllegalArgumentException(OpenInference.unknownInput(in.name()));
            }
            List<String> wanted = request.outputs() == null ? List.of()
                    : request.outputs().stream().map(RequestedOutput::name).toList();
            OpenInference.Result result = oip.infer(model, version, input, wanted);
            List<Tensor> outputs = new ArrayList<>();
            for (OpenInference.Output o : result.outputs()) {
                outputs.add(tensor(o.name(), o.rows()));
            }
            return new InferResponse(model, result.version(), request.id(), outputs);
        });
    }

    private static Tensor tensor(String name, float[][] rows) {
        List<Object> flat = new ArrayList<>(rows.length * (rows.length == 0 ? 0 : rows[0].length));
        for (float[] r : rows) {
            for (float v : r) {
                flat.add(v);
            }
        }
        return new Tensor(name, "FP32", List.of((long) rows.length, (long) (rows.length == 0 ? 0 : rows[0].length)), flat);
    }

    private static List<Object> data(Tensor t) {
        if (t.data() == null || t.data().isEmpty()) {
            throw new IllegalArgumentException("input " + t.name() + " has no data");
        }
        return t.data();
    }

    private static void require(boolean ok, String message) {
        OpenInference.require(ok, message);
    }

    private static Response respond(InferenceGrpcService.Call<Object> call) {
        try {
            return Response.ok(call.get()).build();
        } catch (Exception e) {
            return InferenceResource.error(e);
        }
    }
}
