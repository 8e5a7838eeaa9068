package dev.maws.inference.oip;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.health.HealthCheckResponse;

import dev.maws.inference.api.Inference;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.model.vit.VitConfig;
import dev.maws.proto.v1.Image;

/**
 * The Open Inference Protocol v2 for both transports (REST {@link OpenInferenceResource}, gRPC
 * {@link OpenInferenceGrpcService}): a model is a job, a version a checkpoint step ("step-{n}", none =
 * the latest). Inputs: {@code image} (BYTES, PNG/JPEG/WebP, shape [N]) or {@code pixels} (FP32
 * [N, C, S, S], normalised as in training). Outputs: {@code embedding} (FP32 [N, D], the model's
 * pooling) and, for WSP checkpoints, {@code probabilities} (FP32 [N, V], vocabulary order).
 */
@Singleton
public class OpenInference {
    static final String SERVER = "maws-inference-service";
    static final List<String> OUTPUTS = List.of("embedding", "probabilities");

    /** A tensor's description in model metadata. */
    public record TensorMeta(String name, String datatype, List<Long> shape) {}

    /** Model metadata. */
    public record Metadata(String name, List<String> versions, String platform, List<TensorMeta> inputs,
            List<TensorMeta> outputs) {}

    /** The one input tensor of a request, decoded: encoded images, or n prepared images of pixels. */
    public record Input(List<Image> images, float[] pixels, long[] shape) {}

    /** One output tensor: rows of FP32. */
    public record Output(String name, float[][] rows) {
        long[] shape() {
            return new long[] {rows.length, rows.length == 0 ? 0 : rows[0].length};
        }
    }

    /** The answer: the checkpoint version that answered and the outputs. */
    public record Result(String version, List<Output> outputs) {}

    private final Inference inference;
    private final ModelRegistry models;

    OpenInference(Inference inference, ModelRegistry models) {
        this.inference = inference;
        this.models = models;
    }

    boolean ready() {
        return models.call().getStatus() == HealthCheckResponse.Status.UP;
    }

    /** "{job}/{version}", the latest step when the version is empty. */
    static String reference(String model, String version) {
        if (model == null || model.isEmpty()) {
            throw new IllegalArgumentException("model name is required (a job id)");
        }
        return model + "/" + (version == null || version.isEmpty() ? "latest" : version);
    }

    Metadata metadata(String model, String version) throws Exception {
        ModelRegistry.Loaded m = models.load(reference(model, version));
        VitConfig c = m.model().config();
        List<TensorMeta> outputs = new ArrayList<>();
        outputs.add(new TensorMeta("embedding", "FP32", List.of(-1L, (long) c.width())));
        if (m.model().hasHead()) {
            outputs.add(new TensorMeta("probabilities", "FP32", List.of(-1L, (long) m.vocabulary().size())));
        }
        return new Metadata(model, List.of(version(m.reference())),
                "maws_" + m.model().manifest().stage().toLowerCase(Locale.ROOT),
                List.of(new TensorMeta("image", "BYTES", List.of(-1L)),
                        new TensorMeta("pixels", "FP32", List.of(-1L, (long) c.channels(), (long) c.imageSize(),
                                (long) c.imageSize()))),
                outputs);
    }

    /** Loads the model; false never happens (a model that cannot load is an error). */
    boolean modelReady(String model, String version) throws Exception {
        models.load(reference(model, version));
        return true;
    }

    /**
     * @param wanted requested outputs; empty = every output the model has
     */
    Result infer(String model, String version, Input input, List<String> wanted) throws Exception {
        for (String w : wanted) {
            require(OUTPUTS.contains(w), "unknown output \"" + w + "\"; outputs are embedding and probabilities");
        }
        // "{job}/latest" resolved once: both outputs come from the same checkpoint even if a newer one lands between them
        String reference = models.load(reference(model, version)).reference();
        List<Output> outputs = new ArrayList<>();
        String answered = null;
        for (String name : OUTPUTS) {
            if (!wanted.isEmpty() && !wanted.contains(name)) {
                continue;
            }
            ModelRegistry.Output output = name.equals("embedding") ? ModelRegistry.Output.features(null, false)
                    : ModelRegistry.Output.PROBABILITIES;
            if (wanted.isEmpty() && output.probabilities() && !models.load(reference).model().hasHead()) {
                continue; // MAE: embeddings only unless asked
            }
            Inference.Rows rows = inference.forward(reference, input.images(), input.pixels(), input.shape(), output);
            answered = rows.model().reference();
            outputs.add(new Output(name, rows.rows()));
        }
        return new Result(version(answered), outputs);
    }

    /** Checks a pixels tensor's shape against its values. */
    static Input pixels(List<Long> shape, float[] values) {
        require(shape != null && shape.size() == 4, "pixels shape must be [N, C, H, W]");
        long count = 1;
        for (long d : shape) {
            require(d > 0, "pixels shape " + shape + " has a dimension < 1");
            count *= d;
        }
        require(count == values.length, "pixels shape " + shape + " needs " + count + " values, got " + values.length);
        return new Input(null, values, shape.stream().mapToLong(Long::longValue).toArray());
    }

    /** Checks an image tensor's shape against its elements. */
    static Input images(List<Long> shape, List<Image> images) {
        require(!images.isEmpty(), "input image has no data");
        require(shape == null || shape.isEmpty() || shape.equals(List.of((long) images.size())),
                "image shape must be [" + images.size() + "]");
        return new Input(images, null, null);
    }

    static String unknownInput(String name) {
        return "unknown input \"" + name + "\"; inputs are image (BYTES) and pixels (FP32)";
    }

    private static String version(String reference) {
        return reference.substring(reference.indexOf('/') + 1);
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
