package dev.maws.label.api;

import java.util.Comparator;
import java.util.List;

import dev.maws.label.Labeler;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.LabelRequest;
import dev.maws.proto.v1.LabelResponse;
import dev.maws.proto.v1.ResolveTermsRequest;
import dev.maws.proto.v1.ResolveTermsResponse;
import dev.maws.proto.v1.ResolvedTerm;
import dev.maws.proto.v1.SynsetLabel;
import io.grpc.Status;
import dev.maws.proto.v1.ListVocabulariesRequest;
import dev.maws.proto.v1.ListVocabulariesResponse;
import dev.maws.proto.v1.MutinyLabelServiceGrpc;
import dev.maws.proto.v1.Vocabulary;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * gRPC {@code LabelService}: {@code Label}, {@code ResolveTerms} and {@code ListVocabularies} (the
 * versions frozen under {@code vocab/} in S3). {@code FreezeVocabulary} and {@code GetVocabulary}
 * answer UNIMPLEMENTED until the rest of the label-service issue lands.
 */
@GrpcService
public class LabelGrpcService extends MutinyLabelServiceGrpc.LabelServiceImplBase {
    static final String PREFIX = "vocab/";

    private final ObjectStore store;
    private final Labeler labeler;
    private final CaptionLimits limits;

    LabelGrpcService(ObjectStore store, Labeler labeler, CaptionLimits limits) {
        this.store = store;
        this.labeler = labeler;
        this.limits = limits;
    }

    @Override
    @Blocking
    public Uni<LabelResponse> label(LabelRequest request) {
        try {
            limits.checkCaption(request.getCaption(), "caption");
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
        Labeler.Result result = labeler.label(request.getCaption());
        LabelResponse.Builder out = LabelResponse.newBuilder().addAllHashtags(result.hashtags());
        for (Labeler.Label l : result.labels()) {
            out.addLabels(toProto(l));
        }
        return Uni.createFrom().item(out.build());
    }

    @Override
    @Blocking
    public Uni<ResolveTermsResponse> resolveTerms(ResolveTermsRequest request) {
        try {
            limits.checkTerms(request.getTermsList());
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
        if (!request.getVocabularyVersion().isEmpty()) {
            return Uni.createFrom().failure(Status.UNIMPLEMENTED
                    .withDescription("filtering by vocabulary_version is not available yet; leave it empty").asRuntimeException());
        }
        ResolveTermsResponse.Builder out = ResolveTermsResponse.newBuilder();
        for (String term : request.getTermsList()) {
            Labeler.Resolution r = labeler.resolve(term);
            ResolvedTerm.Builder t = ResolvedTerm.newBuilder().setTerm(term).setUnresolvedReason(r.unresolvedReason());
            for (Labeler.Label l : r.synsets()) {
                t.addSynsets(toProto(l));
            }
            out.addTerms(t);
        }
        return Uni.createFrom().item(out.build());
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

    private static SynsetLabel toProto(Labeler.Label l) {
        return SynsetLabel.newBuilder().setSynset(l.synset()).setLemma(l.lemma()).setHashtag(l.hashtag())
                .setScore((float) l.score()).build();
    }
}
