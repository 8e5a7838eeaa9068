package dev.maws.inference.api;

import dev.maws.inference.evaluation.Evaluations;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.inference.zeroshot.ClassResolver;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.proto.v1.ClassifyRequest;
import dev.maws.proto.v1.ClassifyResponse;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.EmbedResponse;
import dev.maws.proto.v1.Evaluation;
import dev.maws.proto.v1.GetEvaluationRequest;
import dev.maws.proto.v1.ListModelsRequest;
import dev.maws.proto.v1.ListModelsResponse;
import dev.maws.proto.v1.LoadModelRequest;
import dev.maws.proto.v1.ModelInfo;
import dev.maws.proto.v1.StartEvaluationRequest;
import dev.maws.proto.v1.MutinyInferenceServiceGrpc;
import dev.maws.proto.v1.UnloadModelRequest;
import dev.maws.proto.v1.ZeroShotRequest;
import dev.maws.proto.v1.ZeroShotResponse;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * gRPC {@code InferenceService}: Embed, Classify, ZeroShot, evaluations and model management.
 * Errors: INVALID_ARGUMENT (bad images, reference, sizes, evaluation settings; the message names
 * what), NOT_FOUND (no such checkpoint, dataset or evaluation), RESOURCE_EXHAUSTED (inference or
 * evaluation queue full), UNAVAILABLE (label-service unreachable for class names).
 */
@GrpcService
public class InferenceGrpcService extends MutinyInferenceServiceGrpc.InferenceServiceImplBase {
    private final Inference inference;
    private final ModelRegistry models;
    private final Evaluations evaluations;
    private final RequestMetrics metrics;

    InferenceGrpcService(Inference inference, ModelRegistry models, Evaluations evaluations, RequestMetrics metrics) {
        this.inference = inference;
        this.models = models;
        this.evaluations = evaluations;
        this.metrics = metrics;
    }

    @Override
    @Blocking
    public Uni<EmbedResponse> embed(EmbedRequest request) {
        return call(() -> metrics.timed("embed", () -> inference.embed(request)));
    }

    @Override
    @Blocking
    public Uni<ClassifyResponse> classify(ClassifyRequest request) {
        return call(() -> metrics.timed("classify", () -> inference.classify(request)));
    }

    @Override
    @Blocking
    public Uni<ZeroShotResponse> zeroShot(ZeroShotRequest request) {
        return call(() -> metrics.timed("zero_shot", () -> inference.zeroShot(request)));
    }

    @Override
    @Blocking
    public Uni<Evaluation> startEvaluation(StartEvaluationRequest request) {
        return call(() -> evaluations.start(request));
    }

    @Override
    @Blocking
    public Uni<Evaluation> getEvaluation(GetEvaluationRequest request) {
        return call(() -> evaluations.get(request.getId()));
    }

    @Override
    @Blocking
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return call(() -> {
            ListModelsResponse.Builder out = ListModelsResponse.newBuilder();
            models.list().forEach(m -> out.addModels(Inference.info(m, "loaded")));
            return out.build();
        });
    }

    @Override
    @Blocking
    public Uni<ModelInfo> loadModel(LoadModelRequest request) {
        return call(() -> Inference.info(models.load(require(request.getModel())), "loaded"));
    }

    @Override
    @Blocking
    public Uni<ModelInfo> unloadModel(UnloadModelRequest request) {
        return call(() -> {
            String ref = require(request.getModel());
            if (!models.unload(ref)) {
                throw new NotLoadedException("model " + ref + " is not loaded");
            }
            return ModelInfo.newBuilder().setReference(ref).setState("unloaded").build();
        });
    }

    private static String require(String model) {
        if (model.isEmpty()) {
            throw new IllegalArgumentException("model is required (\"{job}/step-{n}\" or \"{job}/latest\")");
        }
        return model;
    }

    /** A call of the inference layer. */
    public interface Call<T> {
        T get() throws Exception;
    }

    public static <T> Uni<T> call(Call<T> call) {
        try {
            return Uni.createFrom().item(call.get());
        } catch (Exception e) {
            return Uni.createFrom().failure(status(e).withDescription(e.getMessage()).asRuntimeException());
        }
    }

    /** The REST status of the same error: 400, 404, 429, 503 or 500. */
    public static int httpStatus(Exception e) {
        return switch (status(e).getCode()) {
            case INVALID_ARGUMENT -> 400;
            case NOT_FOUND -> 404;
            case RESOURCE_EXHAUSTED -> 429;
            case UNAVAILABLE -> 503;
            default -> 500;
        };
    }

    public static Status status(Exception e) {
        if (e instanceof ModelRegistry.StoppingException) { // another replica can answer: what load balancers retry
            return Status.UNAVAILABLE;
        }
        if (e instanceof ModelRegistry.OverloadedException) {
            return Status.RESOURCE_EXHAUSTED;
        }
        if (e instanceof NotLoadedException || e instanceof CheckpointCatalog.NoSuchCheckpointException
                || e instanceof Evaluations.NoSuchEvaluationException) {
            return Status.NOT_FOUND;
        }
        if (e instanceof ClassResolver.LabelServiceException) {
            return Status.UNAVAILABLE;
        }
        if (e instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT;
        }
        return Status.INTERNAL;
    }

    /** Unload of a model that is not loaded. */
    static final class NotLoadedException extends RuntimeException {
        NotLoadedException(String message) {
            super(message);
        }
    }
}
