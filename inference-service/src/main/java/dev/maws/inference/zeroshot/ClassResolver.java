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
    /** label-service's bound on one term. */
    static final int MAX_NAME_CHARS = 200;
    /** Names per ResolveTerms call: well under label-service's max-captions-per-request (256 by default). */
    static final int NAMES_PER_CALL = 100;

    private final LabelServiceGrpc.LabelServiceBlockingStub labels;

    ClassResolver(@GrpcClient("label-service") LabelServiceGrpc.LabelServiceBlockingStub labels) {
        this.labels = labels;
    }

    /**
     * One resolution per class, same order.
     *
     * @throws IllegalArgumentException for a blank or over-long class name
     */
    public List<ClassResolution> resolve(List<String> classes, Vocabulary vocabulary) {
        for (int i = 0; i < classes.size(); i++) {
            String c = classes.get(i);
            if (c.isBlank() || c.length() > MAX_NAME_CHARS) {
                throw new IllegalArgumentException("classes[" + i + "] must be a class name or synset id of 1-"
                        + MAX_NAME_CHARS + " characters, got " + (c.isBlank() ? "a blank one" : c.length() + " characters"));
            }
        }
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
        if (!(total > 0)) {
            // every resolved synset's probability underflowed to 0 (a logit gap over ~100): no preference
            // among the resolved classes is known, so they share the mass instead of all becoming NaN
            long resolved = resolutions.stream().filter(r -> r.getSynsetsCount() > 0).count();
            for (int c = 0; c < mass.length; c++) {
                out[c] = resolutions.get(c).getSynsetsCount() > 0 ? 1f / resolved : 0f;
            }
            return out;
        }
        for (int c = 0; c < mass.length; c++) {
            out[c] = (float) (mass[c] / total);
        }
        return out;
    }

    private List<ResolvedTerm> lookUp(List<String> names, String version) {
        List<ResolvedTerm> out = new ArrayList<>(names.size());
        for (int from = 0; from < names.size(); from += NAMES_PER_CALL) {
            out.addAll(lookUpPart(names.subList(from, Math.min(names.size(), from + NAMES_PER_CALL)), version));
        }
        return out;
    }

    private List<ResolvedTerm> lookUpPart(List<String> names, String version) {
        try {
            List<ResolvedTerm> terms = labels.withDeadlineAfter(30, TimeUnit.SECONDS).resolveTerms(ResolveTermsRequest.newBuilder()
                    .addAllTerms(names).setVocabularyVersion(version).build()).getTermsList();
            if (terms.size() != names.size()) {
                throw new LabelServiceException("label-service answered " + terms.size() + " resolutions for " + names.size()
                        + " class names", null);
            }
            return terms;
        } catch (StatusRuntimeException e) {
            // not the caller's fault even when INVALID_ARGUMENT: the names were checked above, so what label-service
            // refuses is its own limits or the vocabulary version of the checkpoint
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
