package dev.maws.label;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.maws.label.segment.HashtagExtractor;
import dev.maws.label.segment.HashtagExtractor.Hashtag;
import dev.maws.label.segment.Segmenter;
import dev.maws.label.sense.SenseChooser;
import dev.maws.label.wordnet.WordNetIndex;

/**
 * The labelling pipeline: caption -> hashtags -> (segmentation, lemma) -> visual noun synset chosen
 * in the context of the caption. One label per synset (synonymous tags merge); an empty label list
 * is a valid result.
 */
public final class Labeler {
    /** One weak label. */
    public record Label(String synset, String lemma, String hashtag, double score) {}

    /** The result for one caption: normalised hashtags in caption order, and labels. */
    public record Result(List<String> hashtags, List<Label> labels) {}

    // A tag as written -> the lemma it names and that lemma's senses. Segmentation is the costly
    // part, and tags repeat a lot. Keyed by the tag as written: its CamelCase can change the result.
    private record Tag(WordNetIndex.Lemma lemma, SenseChooser.Senses senses) {
        static final Tag NONE = new Tag(null, null);
    }

    private final WordNetIndex wordNet;
    private final HashtagExtractor extractor;
    private final Segmenter segmenter;
    private final SenseChooser senses;
    private final Cache<String, Tag> tagCache;
    private final int maxHashtags;

    /**
     * @param maxHashtags most distinct hashtags a caption may have (the sense choice compares every tag with
     *     every other: its cost grows with their square)
     */
    public Labeler(WordNetIndex wordNet, SenseChooser senses, int maxTagLength, long tagCacheSize, int maxHashtags) {
        this.maxHashtags = maxHashtags;
        this.wordNet = wordNet;
        this.extractor = new HashtagExtractor(maxTagLength);
        this.segmenter = new Segmenter(wordNet);
        this.senses = senses;
        this.tagCache = Caffeine.newBuilder().maximumSize(tagCacheSize).build();
    }

    /** @throws IllegalArgumentException for a caption of more than {@code maxHashtags} distinct hashtags */
    public Result label(String caption) {
        // Runs for every caption of the Kafka stream: small arrays and lists searched in place instead
        // of streams, hash sets and maps (a caption has a handful of tags; BENCHMARKS.md, label)
        HashtagExtractor.Parsed parsed = extractor.parse(caption);
        List<Hashtag> tags = parsed.hashtags();
        int distinct = distinctRaw(tags);
        if (distinct > maxHashtags) {
            throw new IllegalArgumentException("caption has " + distinct + " distinct hashtags, more than "
                    + "maws.label.max-hashtags-per-caption = " + maxHashtags);
        }
        String[] hashtags = new String[tags.size()];
        // the lemma each tag names: the whole tag when WordNet has it, else the compound's head noun
        Tag[] named = new Tag[tags.size()];
        for (int i = 0; i < named.length; i++) {
            Hashtag t = tags.get(i);
            hashtags[i] = t.normalized();
            Tag tag = tagCache.getIfPresent(t.raw());
            named[i] = tag != null ? tag : tagCache.get(t.raw(), k -> tagOf(t));
        }
        // context: the caption words' likeliest senses, and every other tag's senses; each once, since
        // similarity is a best match over the context and repeats would only cost (a caption of one tag
        // written 500 times took 0.2-0.4 s)
        List<SenseChooser.Senses> words = new ArrayList<>(parsed.words().size());
        for (String w : parsed.words()) {
            List<WordNetIndex.Surface> nouns = wordNet.nouns(w);
            if (!nouns.isEmpty()) {
                addOnce(words, senses.senses(nouns.get(0).lemma()));
            }
        }
        // the first tag of each lemma, in caption order: it decides (a later tag of the same lemma
        // would make the same choice)
        int[] firsts = new int[named.length];
        int lemmas = 0;
        for (int i = 0; i < named.length; i++) {
            if (named[i].lemma() != null && indexOfLemma(named, firsts, lemmas, named[i].lemma()) < 0) {
                firsts[lemmas++] = i;
            }
        }
        List<Label> labels = new ArrayList<>(lemmas); // one per synset
        List<SenseChooser.Senses> context = new ArrayList<>(words.size() + lemmas);
        for (int f = 0; f < lemmas; f++) {
            int i = firsts[f];
            WordNetIndex.Lemma lemma = named[i].lemma();
            context.clear();
            context.addAll(words);
            for (int o = 0; o < lemmas; o++) {
                if (o != f) {
                    context.add(named[firsts[o]].senses());
                }
            }
            SenseChooser.Choice choice = senses.choose(named[i].senses(), context);
            if (choice == null) {
                continue;
            }
            int same = indexOfSynset(labels, choice.synset());
            Label label = new Label(choice.synset(), lemma.lemma(), hashtags[i], choice.score());
            if (same < 0) {
                labels.add(label);
            } else if (labels.get(same).score() < choice.score()) {
                labels.set(same, label); // synonymous tags: the better-scored one stays, where the first was
            }
        }
        return new Result(List.of(hashtags), List.copyOf(labels));
    }

    /** Distinct tags as written: pairwise for the usual handful, a hash set beyond. */
    private static int distinctRaw(List<Hashtag> tags) {
        if (tags.size() > 16) {
            Set<String> seen = new HashSet<>();
            tags.forEach(t -> seen.add(t.raw()));
            return seen.size();
        }
        int distinct = 0;
        for (int i = 0; i < tags.size(); i++) {
            int j = 0;
            while (j < i && !tags.get(j).raw().equals(tags.get(i).raw())) {
                j++;
            }
            distinct += j == i ? 1 : 0;
        }
        return distinct;
    }

    private static <T> void addOnce(List<T> list, T item) {
        for (T t : list) {
            if (t == item) {
                return;
            }
        }
        list.add(item);
    }

    /** Where among the first {@code count} tags {@code firsts} points to is one of {@code lemma}; -1 if none. */
    private static int indexOfLemma(Tag[] named, int[] firsts, int count, WordNetIndex.Lemma lemma) {
        for (int f = 0; f < count; f++) {
            if (named[firsts[f]].lemma() == lemma) {
                return f;
            }
        }
        return -1;
    }

    private static int indexOfSynset(List<Label> labels, String synset) {
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i).synset().equals(synset)) {
                return i;
            }
        }
        return -1;
    }

    /** A class name resolved to synsets: best first; empty with a reason when nothing visual matches. */
    public record Resolution(String term, List<Label> synsets, String unresolvedReason) {}

    /**
     * Resolves a class name as a dataset writes it ("T-shirt/top", "Ankle boot") to visual synsets:
     * each '/'- or ','-separated alternative is read like a hashtag (the whole name if WordNet has
     * it, else its head noun), and every visual sense is listed, most likely first, with its prior.
     */
    public Resolution resolve(String term) {
        Map<String, Label> bySynset = new LinkedHashMap<>();
        for (String alternative : term.split("[/,;|]")) {
            String spelling = WordNetIndex.concat(alternative);
            if (spelling.isEmpty()) {
                continue;
            }
            Segmenter.Segment head = segmenter.segment(spelling).head();
            if (head == null) {
                continue;
            }
            WordNetIndex.Lemma lemma = head.surface().lemma();
            senses.priors(lemma).forEach((offset, prior) -> bySynset.merge(WordNetIndex.id(offset),
                    new Label(WordNetIndex.id(offset), lemma.lemma(), spelling, prior),
                    (a, b) -> a.score() >= b.score() ? a : b));
        }
        List<Label> ranked = new ArrayList<>(bySynset.values());
        ranked.sort((a, b) -> Double.compare(b.score(), a.score()));
        return new Resolution(term, ranked, ranked.isEmpty() ? "\"" + term + "\" names no visual WordNet noun" : "");
    }

    private Tag tagOf(Hashtag t) {
        WordNetIndex.Lemma lemma = lemmaOf(t);
        return lemma == null ? Tag.NONE : new Tag(lemma, senses.senses(lemma));
    }

    private WordNetIndex.Lemma lemmaOf(Hashtag t) {
        Segmenter.Segmentation s = segmenter.segment(t.normalized());
        Segmenter.Segment head = s.head();
        List<String> camel = head == null ? t.camelWords() : List.of();
        if (camel.size() > 1) {
            // CamelCase said where the words are: try the last capitalised word alone
            s = segmenter.segment(camel.get(camel.size() - 1));
            head = s.head();
        }
        return head == null ? null : head.surface().lemma();
    }
}
