package dev.maws.inference.oip;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
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

import dev.maws.inference.api.Inference;
import dev.maws.inference.api.InferenceGrpcService;
import dev.maws.inference.api.InferenceResource;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.proto.v1.Image;
import io.smallrye.common.annotation.Blocking;

/**
 * The KServe / Triton Open Inference Protocol v2 over REST, so existing clients work unchanged.
 * A model is a job, its versions are checkpoint steps: {@code /v2/models/{job}/versions/step-{n}}
 * ({@code /v2/models/{job}} = the latest). Inputs: {@code image} (BYTES, base64 PNG/JPEG, shape [N])
 * or {@code pixels} (FP32 [N, C, S, S], normalised as in training). Outputs: {@code embedding}
 * (FP32 [N, D], the model's pooling) and, for WSP checkpoints, {@code probabilities} (FP32 [N, V],
 * in vocabulary order).
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

    private final Inference inference;
    private final ModelRegistry models;

    OpenInferenceResource(Inference inference, ModelRegistry models) {
        this.inference = inference;
        this.models = models;
    }

    @GET
    @Operation(summary = "OIP v2 server metadata")
    public Map<String, Object> server() {
        return Map.of("name", "maws-inference-service", "version", "v1", "extensions", List.of());
    }

    @GET
    @Path("health/live")
    public Map<String, Object> live() {
        return Map.of("live", true);
    }

    @GET
    @Path("health/ready")
    public Response ready() {
        boolean ready = models.call().getStatus() == org.eclipse.microprofile.health.HealthCheckResponse.Status.UP;
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
        return respond(() -> {
            ModelRegistry.Loaded m = models.load(model + "/" + version);
            var c = m.model().config();
            List<Map<String, Object>> outputs = new ArrayList<>();
            outputs.add(Map.of("name", "embedding", "datatype", "FP32", "shape", List.of(-1, c.width())));
            if (m.model().hasHead()) {
                outputs.add(Map.of("name", "probabilities", "datatype", "FP32", "shape", List.of(-1, m.vocabulary().size())));
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", model);
            out.put("versions", List.of(version(m)));
            out.put("platform", "maws_" + m.model().manifest().stage().toLowerCase(java.util.Locale.ROOT));
            out.put("inputs", List.of(Map.of("name", "image", "datatype", "BYTES", "shape", List.of(-1)),
                    Map.of("name", "pixels", "datatype", "FP32", "shape", List.of(-1, c.channels(), c.imageSize(),
                            c.imageSize()))));
            out.put("outputs", outputs);
            return out;
        });
    }

    @GET
    @Path("models/{model}/ready")
    public Response modelReady(@PathParam("model") String model) {
        return respond(() -> {
            models.load(model + "/latest");
            return Map.of("name", model, "ready", true);
        });
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
            List<Image> images = null;
            float[] pixels = null;
            int n;
            if ("image".equals(in.name())) {
                require("BYTES".equals(in.datatype()), "input image must be BYTES (base64 PNG/JPEG), not " + in.datatype());
                images = new ArrayList<>();
                for (Object o : data(in)) {
                    require(o instanceof String, "image data must be base64 strings");
                    try {
                        images.add(Image.newBuilder().setData(ByteString.copyFrom(Base64.getDecoder().decode((String) o)))
                                .build());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("image[" + images.size() + "] is not base64: " + e.getMessage());
                    }
                }
                n = images.size();
                require(in.shape() == null || in.shape().equals(List.of((long) n)), "image shape must be [" + n + "]");
            } else if ("pixels".equals(in.name())) {
                require("FP32".equals(in.datatype()), "input pixels must be FP32, not " + in.datatype());
                require(in.shape() != null && in.shape().size() == 4, "pixels shape must be [N, C, H, W]");
                List<Object> values = data(in);
                pixels = new float[values.size()];
                for (int i = 0; i < pixels.length; i++) {
                    require(values.get(i) instanceof Number, "pixels data must be numbers");
                    pixels[i] = ((Number) values.get(i)).floatValue();
                }
                long count = in.shape().stream().reduce(1L, (a, b) -> a * b);
                require(count == pixels.length, "pixels shape " + in.shape() + " needs " + count + " values, got " + pixels.length);
                n = (int) (long) in.shape().get(0);
            } else {
                throw new IllegalArgumentException("unknown input \"" + in.name() + "\"; inputs are image (BYTES) and pixels (FP32)");
            }
            List<String> wanted = request.outputs() == null || request.outputs().isEmpty() ? null
                    : request.outputs().stream().map(RequestedOutput::name).toList();
            List<Tensor> outputs = new ArrayList<>();
            String reference = null;
            for (String name : List.of("embedding", "probabilities")) {
                if (wanted != null && !wanted.contains(name)) {
                    continue;
                }
                ModelRegistry.Output output = name.equals("embedding") ? new ModelRegistry.Output(false, null, false)
                        : ModelRegistry.Output.PROBABILITIES;
                if (wanted == null && output.probabilities() && !models.load(model + "/" + version).model().hasHead()) {
                    continue; // MAE: embeddings only unless asked
                }
                Inference.Rows rows = inference.forward(model + "/" + version, images, pixels, n, output);
                reference = rows.model().reference();
                outputs.add(tensor(name, rows.rows()));
            }
            if (wanted != null) {
                for (String w : wanted) {
                    require(w.equals("embedding") || w.equals("probabilities"),
                            "unknown output \"" + w + "\"; outputs are embedding and probabilities");
                }
            }
            return new InferResponse(model, reference.substring(reference.indexOf('/') + 1), request.id(), outputs);
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

    private static String version(ModelRegistry.Loaded m) {
        return m.reference().substring(m.reference().indexOf('/') + 1);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static Response respond(InferenceGrpcService.Call<Object> call) {
        try {
            return Response.ok(call.get()).build();
        } catch (Exception e) {
            return InferenceResource.error(e);
        }
    }
}
