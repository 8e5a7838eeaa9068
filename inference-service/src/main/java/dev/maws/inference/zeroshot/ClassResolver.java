package dev.maws.inference.zeroshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import jakarta.inject.Singleton;

import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.proto.v1.ClassResolution;
import dev.maws.proto.v1.LabelServiceGrpc;
import dev.maws.proto.v1.ResolveTermsRequest;
import dev.maws.proto.v1.ResolvedTerm;
import dev.maws.proto.v1.SynsetLabel;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;

/**
 * Zero-shot class names -> synsets of a model's vocabulary. A synset id ("n02084071") stands for
 * itself; a name ("T-shirt/top", "Ankle boot") is resolved by label-service's {@code ResolveTerms}
 * within the model's vocabulary version. A class that maps to no synset of the vocabulary is
 * reported with the reason, never dropped.
 */
@Singleton
public class ClassResolver {
    private static final Pattern SYNSET = Pattern.compile("n\\d{8}");

    private final LabelServiceGrpc.LabelServiceBlockingStub labels;

    ClassResolver(@GrpcClient("label-service") LabelServiceGrpc.LabelServiceBlockingStub labels) {
        this.labels = labels;
    }

    /** One resolution per class, same order. */
    public List<ClassResolution> resolve(List<String> classes, Vocabulary vocabulary) {
        Map<String, Integer> index = vocabulary.indexBySynset();
        List<String> names = classes.stream().filter(c -> !SYNSET.matcher(c).matches()).toList();
        List<ResolvedTerm> resolved = names.isEmpty() ? List.of() : lookUp(names, vocabulary.version());
        List<ClassResolution> out = new ArrayList<>(classes.size());
        int next = 0;
        for (String c : classes) {
            ClassResolution.Builder r = ClassResolution.newBuilder().setClassName(c);
            if (SYNSET.matcher(c).matches()) {
                if (index.containsKey(c)) {
                    r.addSynsets(c);
                } else {
                    r.setUnresolvedReason(c + " is not in vocabulary " + vocabulary.version());
                }
            } else {
                ResolvedTerm t = resolved.get(next++);
                for (SynsetLabel s : t.getSynsetsList()) {
                    if (index.containsKey(s.getSynset())) {
                        r.addSynsets(s.getSynset());
                    }
                }
                if (r.getSynsetsCount() == 0) {
                    r.setUnresolvedReason(t.getUnresolvedReason().isEmpty()
                            ? "no synset of \"" + c + "\" is in vocabulary " + vocabulary.version() : t.getUnresolvedReason());
                }
            }
            out.add(r.build());
        }
        return out;
    }

    /**
     * Per-class probabilities of one image from its softmax over the vocabulary: a class's logit is
     * the logsumexp of its synsets' logits, so its mass is the sum of their probabilities,
     * renormalised over the classes; an unresolved class gets 0.
     */
    public static float[] classProbabilities(float[] vocabularyProbabilities, List<ClassResolution> resolutions,
            Map<String, Integer> index) {
        double[] mass = new double[resolutions.size()];
        double total = 0;
        for (int c = 0; c < mass.length; c++) {
            for (String s : resolutions.get(c).getSynsetsList()) {
                mass[c] += vocabularyProbabilities[index.get(s)];
            }
            total += mass[c];
        }
        float[] out = new float[mass.length];
        for (int c = 0; c < mass.length; c++) {
            out[c] = (float) (mass[c] / total);
        }
        return out;
    }

    private List<ResolvedTerm> lookUp(List<String> names, String version) {
        try {
            return labels.withDeadlineAfter(30, TimeUnit.SECONDS).resolveTerms(ResolveTermsRequest.newBuilder()
                    .addAllTerms(names).setVocabularyVersion(version).build()).getTermsList();
        } catch (StatusRuntimeException e) {
            throw new LabelServiceException("label-service could not resolve the class names (" + e.getStatus().getCode() + ": "
                    + e.getStatus().getDescription() + "); synset ids such as n03595614 need no label-service", e);
        }
    }

    /** label-service failed or cannot be reached. */
    public static final class LabelServiceException extends RuntimeException {
        public LabelServiceException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
