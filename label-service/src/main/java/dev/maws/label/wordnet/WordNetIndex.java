package dev.maws.label.wordnet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.Exc;
import net.sf.extjwnl.data.IndexWord;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Pointer;
import net.sf.extjwnl.data.PointerType;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.data.Word;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * WordNet 3.0 nouns in memory, shaped for hashtags: every noun lemma and its plural forms by their
 * concatenated spelling ("greatwhitesharks" -> great_white_shark), each with its senses in WordNet
 * order and their sense-tag counts; the hypernym graph with depths; which synsets are physical
 * entities. Synset ids are {@code n%08d} of the noun offset, the ids of ImageNet classes. Built once
 * (a few seconds), then read-only and thread-safe.
 */
public final class WordNetIndex {
    /** physical_entity.n.01: by default only synsets under it are visual concepts. */
    public static final String PHYSICAL_ENTITY = "n00001930";

    /** One noun lemma: its underscore spelling and its senses, most frequent first. */
    public record Lemma(String lemma, int[] senses, int[] senseCounts, int totalCount) {}

    /** A spelling of a lemma as found in a hashtag (the lemma itself or an inflected form). */
    public record Surface(Lemma lemma, boolean inflected) {}

    private final Map<String, List<Surface>> nounsBySpelling = new HashMap<>();
    private final Map<String, Boolean> otherWords = new HashMap<>(); // adjectives, verbs, adverbs
    private final Map<Integer, int[]> hypernyms = new HashMap<>(); // offset -> hypernym offsets (incl. instance)
    private final Map<Integer, Boolean> instance = new HashMap<>();
    private final Map<Integer, List<String>> lemmasOf = new HashMap<>();
    private final Map<Integer, String> gloss = new HashMap<>();
    private final Map<Integer, Integer> depth = new HashMap<>();
    private final int maxSpellingLength;
    private final Map<Integer, Ancestry> ancestryCache = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Every hypernym path from the root down to a synset, in one array: what a Wu-Palmer similarity
     * needs, because sense choice compares every tag's senses with every other's on the labelling hot
     * path. One flat array (no array per path, no boxed set) since the comparisons run beside the
     * Kafka clients' buffers, which push everything else out of the CPU caches.
     *
     * @param depth the synset's own depth ({@link #depth(int)})
     * @param paths for each path from the root: its length n, then n pairs (offset, depth), root
     *     first, where depth is the deepest {@link #depth(int)} among the path's synsets so far
     *     (depths are shortest distances from the root, so they need not grow along a path)
     */
    public record Ancestry(int depth, int[] paths) {
        /** Depth of the deepest ancestor the two share (each synset its own ancestor), -1 when none. */
        public int lowestCommonDepth(Ancestry other) {
            return lowestCommonDepth(paths, other.paths);
        }

        /**
         * A shared ancestor lies on a path of each that reaches it the same way from the root (any of
         * its own root paths, then down to each synset): the shared ancestors are exactly the common
         * prefixes of the two synsets' paths, and two paths part a few synsets below the root.
         */
        public static int lowestCommonDepth(int[] mine, int[] theirs) {
            int best = -1;
            for (int i = 0; i < mine.length; i += 1 + 2 * mine[i]) {
                for (int j = 0; j < theirs.length; j += 1 + 2 * theirs[j]) {
                    int n = Math.min(mine[i], theirs[j]);
                    int k = 0;
                    while (k < n && mine[i + 1 + 2 * k] == theirs[j + 1 + 2 * k]) {
                        k++;
                    }
                    if (k > 0) {
                        best = Math.max(best, mine[i + 2 * k]); // the deepest along the shared prefix
                    }
                }
            }
            return best;
        }
    }

    private WordNetIndex(Dictionary dictionary) throws JWNLException {
        Map<String, Lemma> lemmas = new HashMap<>();
        Iterator<IndexWord> words = dictionary.getIndexWordIterator(POS.NOUN);
        while (words.hasNext()) {
            IndexWord w = words.next();
            List<Synset> senses = w.getSenses();
            int[] offsets = new int[senses.size()];
            int[] counts = new int[senses.size()];
            int total = 0;
            for (int i = 0; i < senses.size(); i++) {
                Synset s = senses.get(i);
                offsets[i] = (int) s.getOffset();
                counts[i] = useCount(s, w.getLemma());
                total += counts[i];
            }
            String lemma = w.getLemma().toLowerCase(Locale.ROOT).replace(' ', '_');
            lemmas.put(lemma, new Lemma(lemma, offsets, counts, total));
        }
        Iterator<Synset> synsets = dictionary.getSynsetIterator(POS.NOUN);
        while (synsets.hasNext()) {
            Synset s = synsets.next();
            int offset = (int) s.getOffset();
            List<Integer> up = new ArrayList<>();
            boolean isInstance = false;
            for (Pointer p : s.getPointers()) {
                if (p.getType() == PointerType.HYPERNYM || p.getType() == PointerType.INSTANCE_HYPERNYM) {
                    up.add((int) p.getTargetOffset());
                    isInstance |= p.getType() == PointerType.INSTANCE_HYPERNYM;
                }
            }
            hypernyms.put(offset, up.stream().mapToInt(Integer::intValue).toArray());
            instance.put(offset, isInstance);
            lemmasOf.put(offset, s.getWords().stream().map(w -> w.getLemma().toLowerCase(Locale.ROOT).replace(' ', '_'))
                    .distinct().toList());
            gloss.put(offset, s.getGloss());
        }
        int longest = 0;
        for (Lemma l : lemmas.values()) {
            longest = Math.max(longest, addSpelling(concat(l.lemma()), new Surface(l, false)));
            for (String plural : plurals(l.lemma())) {
                longest = Math.max(longest, addSpelling(concat(plural), new Surface(l, true)));
            }
        }
        Iterator<Exc> exceptions = dictionary.getExceptionIterator(POS.NOUN);
        while (exceptions.hasNext()) {
            Exc e = exceptions.next(); // inflected form -> base forms (geese -> goose)
            for (String base : e.getExceptions()) {
                Lemma l = lemmas.get(base.toLowerCase(Locale.ROOT).replace(' ', '_'));
                if (l != null) {
                    longest = Math.max(longest, addSpelling(concat(e.getLemma()), new Surface(l, true)));
                }
            }
        }
        this.maxSpellingLength = longest;
        for (Integer offset : hypernyms.keySet()) {
            depthOf(offset); // all of them now: read-only (and lock-free) afterwards
        }
        for (POS pos : new POS[] {POS.ADJECTIVE, POS.VERB, POS.ADVERB}) {
            Iterator<IndexWord> it = dictionary.getIndexWordIterator(pos);
            while (it.hasNext()) {
                String lemma = it.next().getLemma();
                if (lemma.indexOf(' ') < 0 && lemma.indexOf('-') < 0) {
                    otherWords.put(lemma.toLowerCase(Locale.ROOT), Boolean.TRUE);
                }
            }
        }
    }

    /** Loads WordNet 3.0 from the extjwnl-data-wn30 resources on the classpath. */
    public static WordNetIndex load() {
        try {
            Dictionary d = Dictionary.getDefaultResourceInstance();
            try {
                return new WordNetIndex(d);
            } finally {
                d.close();
            }
        } catch (JWNLException e) {
            throw new IllegalStateException("cannot load WordNet 3.0 from the classpath", e);
        }
    }

    /** "great white shark" / "great_white_shark" / "Great-White Shark" -> "greatwhiteshark". */
    public static String concat(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                b.append(Character.toLowerCase(c));
            }
        }
        return b.toString();
    }

    public static String id(int offset) {
        if (offset < 0 || offset > 99_999_999) {
            throw new IllegalArgumentException("a noun offset has at most 8 digits, got " + offset);
        }
        char[] id = {'n', '0', '0', '0', '0', '0', '0', '0', '0'};
        for (int i = 8, rest = offset; rest > 0; i--, rest /= 10) {
            id[i] = (char) ('0' + rest % 10);
        }
        return new String(id);
    }

    public static int offset(String id) {
        if (id == null || !id.matches("n\\d{8}")) {
            throw new IllegalArgumentException("a synset id is n followed by 8 digits, got \"" + id + "\"");
        }
        return Integer.parseInt(id.substring(1));
    }

    /** Noun lemmas spelled {@code spelling} (concatenated, lowercase), empty when none. */
    public List<Surface> nouns(String spelling) {
        return nounsBySpelling.getOrDefault(spelling, List.of());
    }

    /** True for a single-word adjective, verb or adverb of WordNet (they segment tags, never label). */
    public boolean isOtherWord(String spelling) {
        return otherWords.containsKey(spelling);
    }

    public int maxSpellingLength() {
        return maxSpellingLength;
    }

    public boolean exists(int offset) {
        return hypernyms.containsKey(offset);
    }

    public String firstLemma(int offset) {
        List<String> l = lemmasOf.get(offset);
        return l == null ? null : l.get(0);
    }

    /** Every lemma of a synset in WordNet's order (the most familiar first); empty for an unknown offset. */
    public List<String> lemmas(int offset) {
        return lemmasOf.getOrDefault(offset, List.of());
    }

    public String gloss(int offset) {
        return gloss.getOrDefault(offset, "");
    }

    /** A specific person, place, ... (an instance hypernym): not a visual class. */
    public boolean isInstance(int offset) {
        return instance.getOrDefault(offset, false);
    }

    public int[] hypernyms(int offset) {
        return hypernyms.getOrDefault(offset, new int[0]);
    }

    /** True when {@code ancestor} is {@code offset} or one of its (instance) hypernyms, transitively. */
    public boolean isUnder(int offset, int ancestor) {
        if (offset == ancestor) {
            return true;
        }
        for (int h : hypernyms(offset)) {
            if (isUnder(h, ancestor)) {
                return true;
            }
        }
        return false;
    }

    /** Shortest number of hypernym steps from the root (entity.n.01 has depth 0); 0 for an unknown offset. */
    public int depth(int offset) {
        return depth.getOrDefault(offset, 0);
    }

    private int depthOf(int offset) {
        Integer d = depth.get(offset);
        if (d == null) {
            int[] up = hypernyms(offset);
            int best = up.length == 0 ? 0 : Integer.MAX_VALUE;
            for (int h : up) {
                best = Math.min(best, depthOf(h) + 1);
            }
            d = best;
            depth.put(offset, d);
        }
        return d;
    }

    /** The root paths of {@code offset}, for Wu-Palmer similarity; cached. */
    public Ancestry ancestry(int offset) {
        return ancestryCache.computeIfAbsent(offset, this::computeAncestry);
    }

    private Ancestry computeAncestry(int offset) {
        List<int[]> paths = new ArrayList<>();
        rootPaths(offset, new ArrayList<>(), paths);
        int size = 0;
        for (int[] path : paths) {
            size += 1 + 2 * path.length;
        }
        int[] code = new int[size];
        int at = 0;
        for (int[] path : paths) {
            code[at++] = path.length;
            for (int i = 0, deepest = -1; i < path.length; i++) {
                deepest = Math.max(deepest, depth(path[i]));
                code[at++] = path[i];
                code[at++] = deepest;
            }
        }
        return new Ancestry(depth(offset), code);
    }

    /**
     * Adds every hypernym path from a root down through {@code offset} to the synset asked for, root
     * first ({@code below}: the synsets from the one asked for up to {@code offset}'s child). WordNet
     * 3.0 has at most 12 for a noun synset.
     */
    private void rootPaths(int offset, List<Integer> below, List<int[]> paths) {
        below.add(offset);
        int[] up = hypernyms(offset);
        if (up.length == 0) { // a root
            int[] path = new int[below.size()];
            for (int i = 0; i < path.length; i++) {
                path[i] = below.get(below.size() - 1 - i);
            }
            paths.add(path);
        } else {
            for (int h : up) {
                if (!below.contains(h)) { // a cycle, which WordNet does not have, ends the path there
                    rootPaths(h, below, paths);
                }
            }
        }
        below.remove(below.size() - 1);
    }

    private int addSpelling(String spelling, Surface s) {
        if (spelling.isEmpty()) {
            return 0;
        }
        List<Surface> list = nounsBySpelling.computeIfAbsent(spelling, k -> new ArrayList<>(1));
        for (Surface existing : list) {
            if (existing.lemma() == s.lemma()) {
                return spelling.length();
            }
        }
        // a lemma spelled exactly so comes before an inflected form of another one ("glasses")
        if (s.inflected()) {
            list.add(s);
        } else {
            list.add(0, s);
        }
        return spelling.length();
    }

    /** Regular English plurals of the last word of a lemma (words split by '_' or '-': t-shirt -> t-shirts). */
    static List<String> plurals(String lemma) {
        int cut = Math.max(lemma.lastIndexOf('_'), lemma.lastIndexOf('-')) + 1;
        String head = lemma.substring(cut);
        String stem = lemma.substring(0, cut);
        if (head.length() < 2 || !head.chars().allMatch(Character::isLetter)) {
            return List.of();
        }
        List<String> out = new ArrayList<>(2);
        if (head.endsWith("s") || head.endsWith("x") || head.endsWith("z") || head.endsWith("ch") || head.endsWith("sh")) {
            out.add(stem + head + "es");
        } else if (head.endsWith("y") && "aeiou".indexOf(head.charAt(head.length() - 2)) < 0) {
            out.add(stem + head.substring(0, head.length() - 1) + "ies");
        } else {
            out.add(stem + head + "s");
            if (head.endsWith("o")) {
                out.add(stem + head + "es");
            }
        }
        return out;
    }

    private static int useCount(Synset s, String lemma) {
        for (Word w : s.getWords()) {
            if (w.getLemma().equalsIgnoreCase(lemma)) {
                return w.getUseCount();
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return "WordNetIndex[" + nounsBySpelling.size() + " noun spellings, " + hypernyms.size() + " synsets]";
    }

}
