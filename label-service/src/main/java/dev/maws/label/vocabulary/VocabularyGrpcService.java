package dev.maws.label.vocabulary;

import java.util.Comparator;
import java.util.List;

import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.ListVocabulariesRequest;
import dev.maws.proto.v1.ListVocabulariesResponse;
import dev.maws.proto.v1.MutinyLabelServiceGrpc;
import dev.maws.proto.v1.Vocabulary;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * gRPC {@code LabelService}. So far only {@code ListVocabularies} (the versions frozen under
 * {@code vocab/} in S3); labelling, term resolution and freezing come with the label-service issue
 * and answer UNIMPLEMENTED until then.
 */
@GrpcService
public class VocabularyGrpcService extends MutinyLabelServiceGrpc.LabelServiceImplBase {
    static final String PREFIX = "vocab/";

    private final ObjectStore store;

    VocabularyGrpcService(ObjectStore store) {
        this.store = store;
    }

    @Override
    @Blocking
    public Uni<ListVocabulariesResponse> listVocabularies(ListVocabulariesRequest request) {
        List<Vocabulary> versions = store.list(PREFIX).stream()
                .filter(key -> key.endsWith(".json") && key.indexOf('/', PREFIX.length()) < 0)
                .map(key -> key.substring(PREFIX.length(), key.length() - ".json".length()))
                .sorted(Comparator.reverseOrder())
                .map(version -> Vocabulary.newBuilder().setVersion(version).build())
                .toList();
        return Uni.createFrom().item(ListVocabulariesResponse.newBuilder().addAllVocabularies(versions).build());
    }
}
