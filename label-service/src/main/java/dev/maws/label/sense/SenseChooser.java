package dev.maws.label.sense;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.maws.label.wordnet.WordNetIndex;

/**
 * Picks the sense of a noun lemma. Only visual senses can be picked: under one of the allowed roots
 * (physical_entity.n.01 by default), under none of the denied ones, and not an instance (a named
 * person or place). Without context the most likely visual sense wins — unless the lemma's most
 * frequent sense is not visual and clearly dominates ("#love" is an emotion far more often than a
 * beloved person): then no label. With context (the other tags and words of the caption, each
 * sense weighted by its own likelihood) a sense also scores its Wu-Palmer similarity to them, so
 * "#crane #bird" picks the bird.
 */
public final class SenseChooser {
    /** A chosen sense and its score in [0, 1]. */
    public record Choice(int offset, double score) {}

    private static final double DOMINANCE = 10.0;
    private static final double CONTEXT_WEIGHT = 3.0;
    // A photo tagged with a word is far more often of the thing than of a person the word can
    // describe ("#ostrich", "#monarch"), or of the meat or fur made of it ("#quail", "#beaver"):
    // those senses keep a fraction of their prior whenever the word also names a thing or an organism.
    private static final int PERSON = WordNetIndex.offset("n00007846");
    private static final int MATTER = WordNetIndex.offset("n00020827"); // food, materials, substances
    private static final int ORGANISM = WordNetIndex.offset("n00004475");
    private static final double PERSON_FACTOR = 0.2;
    private static final double MATTER_FACTOR = 0.3;

    private final WordNetIndex wordNet;
    private final int[] allowRoots;
    private final int[] denyRoots;
    // both depend only on WordNet and the roots: computed once per synset / lemma
    private final Map<Integer, Boolean> visual = new ConcurrentHashMap<>();
    private final Map<WordNetIndex.Lemma, Map<Integer, Double>> priorsByLemma = new ConcurrentHashMap<>();

    public SenseChooser(WordNetIndex wordNet, List<String> allowRoots, List<String> denyRoots) {
        this.wordNet = wordNet;
        this.allowRoots = allowRoots.stream().mapToInt(WordNetIndex::offset).toArray();
        this.denyRoots = denyRoots.stream().mapToInt(WordNetIndex::offset).toArray();
    }

    public boolean isVisual(int offset) {
        return visual.computeIfAbsent(offset, this::computeVisual);
    }

    private boolean computeVisual(int offset) {
        if (wordNet.isInstance(offset)) {
            return false;
        }
        for (int d : denyRoots) {
            if (wordNet.isUnder(offset, d)) {
                return false;
            }
        }
        for (int a : allowRoots) {
            if (wordNet.isUnder(offset, a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The visual senses of a lemma with their prior probability (sense-tag counts + 1, persons and
     * matter discounted as above), in WordNet order; empty when the lemma names nothing visual or
     * its dominant sense is not visual.
     */
    public Map<Integer, Double> priors(WordNetIndex.Lemma lemma) {
        return priorsByLemma.computeIfAbsent(lemma, this::computePriors);
    }

    private Map<Integer, Double> computePriors(WordNetIndex.Lemma lemma) {
        int[] senses = lemma.senses();
        int[] counts = lemma.senseCounts();
        int firstVisual = -1;
        boolean hasNonPerson = false;
        boolean hasOrganism = false;
        for (int i = 0; i < senses.length; i++) {
            if (isVisual(senses[i])) {
                firstVisual = firstVisual < 0 ? i : firstVisual;
                boolean person = wordNet.isUnder(senses[i], PERSON);
                hasNonPerson |= !person;
                hasOrganism |= !person && wordNet.isUnder(senses[i], ORGANISM);
            }
        }
        Map<Integer, Double> out = new LinkedHashMap<>();
        if (firstVisual < 0 || (firstVisual > 0 && counts[0] + 1 > DOMINANCE * (counts[firstVisual] + 1))) {
            return out; // nothing visual, or the word is mostly about something that cannot be seen
        }
        double total = 0;
        for (int i = 0; i < senses.length; i++) {
            if (isVisual(senses[i])) {
                double w = counts[i] + 1;
                if (hasNonPerson && wordNet.isUnder(senses[i], PERSON)) {
                    w *= PERSON_FACTOR;
                } else if (hasOrganism && wordNet.isUnder(senses[i], MATTER)) {
                    w *= MATTER_FACTOR;
                }
                out.merge(senses[i], w, Double::sum);
                total += w;
            }
        }
        for (Map.Entry<Integer, Double> e : out.entrySet()) {
            e.setValue(e.getValue() / total);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /**
     * @param context senses of the other tags and words of the caption, each with a weight in
     *     [0, 1] (its prior relative to its lemma's likeliest sense); may be empty
     * @return the chosen sense, or null when the lemma names nothing visual
     */
    public Choice choose(WordNetIndex.Lemma lemma, Map<Integer, Double> context) {
        Map<Integer, Double> priors = priors(lemma);
        int best = -1;
        double bestScore = -1;
        int rank = 0;
        for (Map.Entry<Integer, Double> e : priors.entrySet()) {
            // ties keep WordNet's order: an epsilon per rank
            double score = e.getValue() + CONTEXT_WEIGHT * similarity(e.getKey(), context) - 1e-6 * rank++;
            if (score > bestScore) {
                bestScore = score;
                best = e.getKey();
            }
        }
        if (best < 0) {
            return null;
        }
        double confidence = context.isEmpty() ? priors.get(best) : bestScore / (1 + CONTEXT_WEIGHT);
        return new Choice(best, Math.max(0, Math.min(1, confidence)));
    }

    /** The context weights of a lemma's senses: prior relative to its likeliest visual sense. */
    public Map<Integer, Double> contextWeights(WordNetIndex.Lemma lemma) {
        Map<Integer, Double> priors = priors(lemma);
        double top = priors.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
        Map<Integer, Double> out = new LinkedHashMap<>();
        priors.forEach((s, p) -> out.put(s, p / top));
        return out;
    }

    /**
     * Best weighted Wu-Palmer similarity of {@code sense} to a context sense (1 for the same synset:
     * a synonymous tag is the strongest context there is).
     */
    double similarity(int sense, Map<Integer, Double> context) {
        if (context.isEmpty()) {
            return 0;
        }
        Map<Integer, Integer> mine = wordNet.ancestors(sense);
        double best = 0;
        for (Map.Entry<Integer, Double> c : context.entrySet()) {
            Map<Integer, Integer> theirs = wordNet.ancestors(c.getKey());
            int lcsDepth = -1;
            for (Integer a : mine.keySet()) {
                if (theirs.containsKey(a)) {
                    lcsDepth = Math.max(lcsDepth, wordNet.depth(a));
                }
            }
            if (lcsDepth >= 0) {
                double wup = 2.0 * (lcsDepth + 1) / (wordNet.depth(sense) + wordNet.depth(c.getKey()) + 2);
                best = Math.max(best, c.getValue() * wup);
            }
        }
        return best;
    }
}
