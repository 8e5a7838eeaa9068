package dev.maws.inference.models;

import dev.maws.proto.v1.ListModelsRequest;
import dev.maws.proto.v1.ListModelsResponse;
import dev.maws.proto.v1.MutinyInferenceServiceGrpc;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * gRPC {@code InferenceService}. So far only {@code ListModels}, which answers the truth of a
 * service that cannot load checkpoints yet: none are loaded. Loading and every inference call come
 * with the inference-service issue and answer UNIMPLEMENTED until then.
 */
@GrpcService
public class ModelsGrpcService extends MutinyInferenceServiceGrpc.InferenceServiceImplBase {
    @Override
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return Uni.createFrom().item(ListModelsResponse.getDefaultInstance());
    }
}
