package dev.maws.label;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    private final WordNetIndex wordNet;
    private final HashtagExtractor extractor;
    private final Segmenter segmenter;
    private final SenseChooser senses;
    // tag as written -> the lemma it names (segmentation is the costly part; tags repeat a lot)
    private final Cache<String, Optional<WordNetIndex.Lemma>> lemmaByTag;

    public Labeler(WordNetIndex wordNet, SenseChooser senses, int maxTagLength, long tagCacheSize) {
        this.wordNet = wordNet;
        this.extractor = new HashtagExtractor(maxTagLength);
        this.segmenter = new Segmenter(wordNet);
        this.senses = senses;
        this.lemmaByTag = Caffeine.newBuilder().maximumSize(tagCacheSize).build();
    }

    public Result label(String caption) {
        List<Hashtag> tags = extractor.extract(caption);
        List<String> hashtags = tags.stream().map(Hashtag::normalized).toList();
        // the lemma each tag names: the whole tag when WordNet has it, else the compound's head noun
        List<WordNetIndex.Lemma> lemmas = new ArrayList<>(tags.size());
        for (Hashtag t : tags) {
            // keyed by the tag as written: its CamelCase can change the result
            lemmas.add(lemmaByTag.get(t.raw(), k -> Optional.ofNullable(lemmaOf(t))).orElse(null));
        }
        // context: the other tags' senses and the caption words' likeliest senses, weighted
        Map<Integer, Double> wordSenses = new HashMap<>();
        for (String w : HashtagExtractor.words(caption)) {
            List<WordNetIndex.Surface> nouns = wordNet.nouns(w);
            if (!nouns.isEmpty()) {
                senses.contextWeights(nouns.get(0).lemma()).forEach((s, wt) -> wordSenses.merge(s, wt, Math::max));
            }
        }
        // each tag's weighted senses, computed once and shared by every other tag's context
        List<Map<Integer, Double>> tagSenses = new ArrayList<>(lemmas.size());
        for (WordNetIndex.Lemma lemma : lemmas) {
            tagSenses.add(lemma == null ? Map.of() : senses.contextWeights(lemma));
        }
        Map<String, Label> bySynset = new LinkedHashMap<>();
        for (int i = 0; i < tags.size(); i++) {
            WordNetIndex.Lemma lemma = lemmas.get(i);
            if (lemma == null) {
                continue;
            }
            Map<Integer, Double> context = new HashMap<>(wordSenses);
            for (int j = 0; j < lemmas.size(); j++) {
                if (lemmas.get(j) != null && lemmas.get(j) != lemma) {
                    tagSenses.get(j).forEach((s, wt) -> context.merge(s, wt, Math::max));
                }
            }
            SenseChooser.Choice choice = senses.choose(lemma, context);
            if (choice == null) {
                continue;
            }
            String id = WordNetIndex.id(choice.offset());
            Label previous = bySynset.get(id);
            if (previous == null || previous.score() < choice.score()) {
                bySynset.put(id, new Label(id, lemma.lemma(), tags.get(i).normalized(), choice.score()));
            }
        }
        return new Result(hashtags, List.copyOf(bySynset.values()));
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

    private WordNetIndex.Lemma lemmaOf(Hashtag t) {
        Segmenter.Segmentation s = segmenter.segment(t.normalized());
        Segmenter.Segment head = s.head();
        if (head == null && t.camelWords().size() > 1) {
            // CamelCase said where the words are: try the last capitalised word alone
            s = segmenter.segment(t.camelWords().get(t.camelWords().size() - 1));
            head = s.head();
        }
        return head == null ? null : head.surface().lemma();
    }
}
