package dev.maws.label.api;

import java.util.function.Supplier;

import dev.maws.label.Labeler;
import dev.maws.label.vocab.VocabularyCatalog;
import dev.maws.proto.v1.FreezeVocabularyRequest;
import dev.maws.proto.v1.GetVocabularyRequest;
import dev.maws.proto.v1.LabelRequest;
import dev.maws.proto.v1.LabelResponse;
import dev.maws.proto.v1.ListVocabulariesRequest;
import dev.maws.proto.v1.ListVocabulariesResponse;
import dev.maws.proto.v1.MutinyLabelServiceGrpc;
import dev.maws.proto.v1.ResolveTermsRequest;
import dev.maws.proto.v1.ResolveTermsResponse;
import dev.maws.proto.v1.ResolvedTerm;
import dev.maws.proto.v1.SynsetLabel;
import dev.maws.proto.v1.Vocabulary;
import dev.maws.proto.v1.VocabularyEntry;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * gRPC {@code LabelService}. Errors: INVALID_ARGUMENT (limits, malformed version or sizes, with the
 * rule to follow), NOT_FOUND (unknown vocabulary), FAILED_PRECONDITION (nothing to freeze yet), ABORTED (another
 * freeze is running: retry when it has finished).
 */
@GrpcService
public class LabelGrpcService extends MutinyLabelServiceGrpc.LabelServiceImplBase {
    private final Labeler labeler;
    private final CaptionLimits limits;
    private final VocabularyCatalog vocabularies;

    LabelGrpcService(Labeler labeler, CaptionLimits limits, VocabularyCatalog vocabularies) {
        this.labeler = labeler;
        this.limits = limits;
        this.vocabularies = vocabularies;
    }

    @Override
    @Blocking
    public Uni<LabelResponse> label(LabelRequest request) {
        return call(() -> {
            limits.checkCaption(request.getCaption(), "caption");
            Labeler.Result result = labeler.label(request.getCaption());
            LabelResponse.Builder out = LabelResponse.newBuilder().addAllHashtags(result.hashtags());
            for (Labeler.Label l : result.labels()) {
                out.addLabels(toProto(l));
            }
            return out.build();
        });
    }

    @Override
    @Blocking
    public Uni<ResolveTermsResponse> resolveTerms(ResolveTermsRequest request) {
        return call(() -> {
            limits.checkTerms(request.getTermsList());
            String version = request.getVocabularyVersion();
            dev.maws.platform.vocabulary.Vocabulary within = version.isEmpty() ? null : vocabularies.get(version);
            ResolveTermsResponse.Builder out = ResolveTermsResponse.newBuilder();
            for (String term : request.getTermsList()) {
                Labeler.Resolution r = labeler.resolve(term);
                if (within != null) {
                    r = vocabularies.restrict(r, within);
                }
                ResolvedTerm.Builder t = ResolvedTerm.newBuilder().setTerm(term).setUnresolvedReason(r.unresolvedReason());
                for (Labeler.Label l : r.synsets()) {
                    t.addSynsets(toProto(l));
                }
                out.addTerms(t);
            }
            return out.build();
        });
    }

    @Override
    @Blocking
    public Uni<Vocabulary> freezeVocabulary(FreezeVocabularyRequest request) {
        return call(() -> toProto(vocabularies.freeze(request.getMinCount(), request.getMaxSize()), true));
    }

    @Override
    @Blocking
    public Uni<Vocabulary> getVocabulary(GetVocabularyRequest request) {
        return call(() -> toProto(vocabularies.get(request.getVersion()), true));
    }

    @Override
    @Blocking
    public Uni<ListVocabulariesResponse> listVocabularies(ListVocabulariesRequest request) {
        return call(() -> {
            ListVocabulariesResponse.Builder out = ListVocabulariesResponse.newBuilder();
            vocabularies.list().forEach(v -> out.addVocabularies(toProto(v, false)));
            return out.build();
        });
    }

    private static <T> Uni<T> call(Supplier<T> call) {
        try {
            return Uni.createFrom().item(call.get());
        } catch (VocabularyCatalog.NoSuchVocabularyException e) {
            return Uni.createFrom().failure(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (dev.maws.label.vocab.VocabularyFreezer.NothingToFreezeException e) {
            return Uni.createFrom().failure(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
        } catch (VocabularyCatalog.FreezeRunningException e) {
            return Uni.createFrom().failure(Status.ABORTED.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    private static Vocabulary toProto(dev.maws.platform.vocabulary.Vocabulary v, boolean withEntries) {
        Vocabulary.Builder b = Vocabulary.newBuilder().setVersion(v.version()).setCreatedAt(v.createdAt()).setRule(v.rule())
                .setSize(v.size());
        if (withEntries) {
            for (dev.maws.platform.vocabulary.Vocabulary.Entry e : v.entries()) {
                b.addEntries(VocabularyEntry.newBuilder().setSynset(e.synset()).addAllLemmas(e.lemmas()).setCount(e.count()));
            }
        }
        return b.build();
    }

    private static SynsetLabel toProto(Labeler.Label l) {
        return SynsetLabel.newBuilder().setSynset(l.synset()).setLemma(l.lemma()).setHashtag(l.hashtag())
                .setScore((float) l.score()).build();
    }
}
