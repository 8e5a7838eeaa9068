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
    /** A chosen sense (its offset and synset id) and its score in [0, 1]. */
    public record Choice(int offset, String synset, double score) {}

    private static final double DOMINANCE = 10.0;
    private static final double CONTEXT_WEIGHT = 3.0;
    // A photo tagged with a word is far more often of the thing than of a person the word can
    // describe ("#ostrich", "#monarch"), or of the meat or fur made of an animal ("#quail",
    // "#beaver"): those senses keep a fraction of their prior whenever the word also names a thing
    // or an animal. For a plant or a fungus it is the other way round: "#broccoli", "#strawberry",
    // "#mushroom" show the produce far more often than the living plant, so there the plant senses
    // keep the fraction when the word also names matter (its food, wood or fibre).
    private static final int PERSON = WordNetIndex.offset("n00007846");
    private static final int MATTER = WordNetIndex.offset("n00020827"); // food, materials, substances
    private static final int ANIMAL = WordNetIndex.offset("n00015388");
    private static final int PLANT = WordNetIndex.offset("n00017222");
    private static final int FUNGUS = WordNetIndex.offset("n12992868");
    // WordNet lists a synset's words most familiar first: a sense in which the word is only a
    // secondary synonym ("tarantula" in european_wolf_spider, "hatchet" in tomahawk) is less likely
    // to be what a tag means than one it heads. Sense-tag counts, where WordNet has them, still
    // dominate; this mostly orders senses that were never seen in the tagged corpus.
    private static final double SYNONYM_FACTOR = 0.3;
    private static final double PERSON_FACTOR = 0.2;
    private static final double MATTER_FACTOR = 0.3;

    private final WordNetIndex wordNet;
    private final int[] allowRoots;
    private final int[] denyRoots;
    // both depend only on WordNet and the roots: computed once per synset / lemma
    private final Map<Integer, Boolean> visual = new ConcurrentHashMap<>();
    private final Map<WordNetIndex.Lemma, Map<Integer, Double>> priorsByLemma = new ConcurrentHashMap<>();
    private final Map<WordNetIndex.Lemma, Senses> sensesByLemma = new ConcurrentHashMap<>();

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
        boolean hasAnimal = false;
        boolean hasMatter = false;
        for (int i = 0; i < senses.length; i++) {
            if (isVisual(senses[i])) {
                firstVisual = firstVisual < 0 ? i : firstVisual;
                boolean person = wordNet.isUnder(senses[i], PERSON);
                hasNonPerson |= !person;
                hasAnimal |= !person && wordNet.isUnder(senses[i], ANIMAL);
                hasMatter |= wordNet.isUnder(senses[i], MATTER);
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
                if (!lemma.lemma().equals(wordNet.firstLemma(senses[i]))) {
                    w *= SYNONYM_FACTOR;
                }
                if (hasNonPerson && wordNet.isUnder(senses[i], PERSON)) {
                    w *= PERSON_FACTOR;
                } else if (hasAnimal && wordNet.isUnder(senses[i], MATTER)) {
                    w *= MATTER_FACTOR;
                } else if (!hasAnimal && hasMatter && isPlantOrFungus(senses[i])) {
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
     * A lemma's visual senses made ready for {@link #choose}: in WordNet order, with their priors,
     * their weights as context for other tags (prior relative to the likeliest sense) and their
     * ancestries. Computed once per lemma; read-only.
     */
    public static final class Senses {
        static final Senses NONE = new Senses(new int[0], new double[0], new double[0], new WordNetIndex.Ancestry[0]);

        private final int[] offsets;
        private final String[] ids; // the synset ids of the offsets, made once instead of per label
        private final double[] priors;
        private final double[] contextWeights;
        // per sense: its depth and its root paths (WordNetIndex.Ancestry), unwrapped: one array less
        // to fetch per comparison
        private final int[] depths;
        private final int[][] paths;

        private Senses(int[] offsets, double[] priors, double[] contextWeights, WordNetIndex.Ancestry[] ancestry) {
            this.offsets = offsets;
            this.ids = new String[offsets.length];
            for (int i = 0; i < offsets.length; i++) {
                ids[i] = WordNetIndex.id(offsets[i]);
            }
            this.priors = priors;
            this.contextWeights = contextWeights;
            this.depths = new int[ancestry.length];
            this.paths = new int[ancestry.length][];
            for (int i = 0; i < ancestry.length; i++) {
                depths[i] = ancestry[i].depth();
                paths[i] = ancestry[i].paths();
            }
        }

        /** True when the lemma names nothing visual (no label, and no context for other tags). */
        public boolean isEmpty() {
            return offsets.length == 0;
        }
    }

    /** The senses of a lemma, ready for choosing; cached. */
    public Senses senses(WordNetIndex.Lemma lemma) {
        return sensesByLemma.computeIfAbsent(lemma, this::computeSenses);
    }

    private Senses computeSenses(WordNetIndex.Lemma lemma) {
        Map<Integer, Double> priors = priors(lemma);
        if (priors.isEmpty()) {
            return Senses.NONE;
        }
        double top = priors.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
        int n = priors.size();
        int[] offsets = new int[n];
        double[] p = new double[n];
        double[] weights = new double[n];
        WordNetIndex.Ancestry[] ancestry = new WordNetIndex.Ancestry[n];
        int i = 0;
        for (Map.Entry<Integer, Double> e : priors.entrySet()) {
            offsets[i] = e.getKey();
            p[i] = e.getValue();
            weights[i] = e.getValue() / top;
            ancestry[i] = wordNet.ancestry(e.getKey());
            i++;
        }
        return new Senses(offsets, p, weights, ancestry);
    }

    private boolean isPlantOrFungus(int offset) {
        return wordNet.isUnder(offset, PLANT) || wordNet.isUnder(offset, FUNGUS);
    }

    /**
     * @param context the senses of the other tags and words of the caption; each sense counts with
     *     its context weight (its prior relative to its lemma's likeliest sense); may be empty
     * @return the chosen sense, or null when the lemma names nothing visual
     */
    public Choice choose(Senses own, List<Senses> context) {
        boolean noContext = true;
        for (Senses c : context) {
            noContext &= c.isEmpty();
        }
        int best = -1;
        double bestScore = -1;
        for (int k = 0; k < own.offsets.length; k++) {
            // ties keep WordNet's order: an epsilon per rank
            double similarity = noContext ? 0 : similarity(own.depths[k], own.paths[k], context);
            double score = own.priors[k] + CONTEXT_WEIGHT * similarity - 1e-6 * k;
            if (score > bestScore) {
                bestScore = score;
                best = k;
            }
        }
        if (best < 0) {
            return null;
        }
        double confidence = noContext ? own.priors[best] : bestScore / (1 + CONTEXT_WEIGHT);
        return new Choice(own.offsets[best], own.ids[best], Math.max(0, Math.min(1, confidence)));
    }

    /**
     * Best weighted Wu-Palmer similarity of a sense to any context sense (1 for the same synset: a
     * synonymous tag is the strongest context there is).
     */
    private static double similarity(int myDepth, int[] myPaths, List<Senses> context) {
        double best = 0;
        for (Senses c : context) {
            for (int k = 0; k < c.offsets.length; k++) {
                int lcsDepth = WordNetIndex.Ancestry.lowestCommonDepth(myPaths, c.paths[k]);
                if (lcsDepth >= 0) {
                    double wup = 2.0 * (lcsDepth + 1) / (myDepth + c.depths[k] + 2);
                    best = Math.max(best, c.contextWeights[k] * wup);
                }
            }
        }
        return best;
    }
}
