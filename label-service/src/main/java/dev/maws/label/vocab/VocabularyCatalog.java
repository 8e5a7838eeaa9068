package dev.maws.label.vocab;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.maws.label.Labeler;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;

/**
 * The frozen vocabularies: freeze, get, list. Versions are immutable, so the most recently used
 * ones are kept whole in memory (ResolveTerms filters by a version on every call), at most
 * {@link #KEPT_WHOLE} of them (a vocabulary of 100,000 synsets with lemmas is tens of MB); every
 * version's summary (no entries, a few hundred bytes) is kept for ListVocabularies.
 */
@Singleton
public class VocabularyCatalog {
    private static final String PREFIX = "vocab/";
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(VocabularyCatalog.class);
    static final int KEPT_WHOLE = 8;

    private final VocabularyFreezer freezer;
    private final VocabularyStore vocabularies;
    private final ObjectStore store;
    private final Cache<String, Vocabulary> whole = Caffeine.newBuilder().maximumSize(KEPT_WHOLE).build();
    private final Map<String, Vocabulary> summaries = new ConcurrentHashMap<>();
    private final Cache<String, java.util.Set<String>> synsetSets = Caffeine.newBuilder().maximumSize(KEPT_WHOLE).build();
    private final java.util.concurrent.locks.ReentrantLock freezing = new java.util.concurrent.locks.ReentrantLock();

    VocabularyCatalog(VocabularyFreezer freezer, VocabularyStore vocabularies, ObjectStore store) {
        this.freezer = freezer;
        this.vocabularies = vocabularies;
        this.store = store;
    }

    /** @throws FreezeRunningException while another freeze runs (each reads the whole topic and holds its memory) */
    public Vocabulary freeze(long minCount, int maxSize) {
        if (!freezing.tryLock()) {
            throw new FreezeRunningException();
        }
        try {
            Vocabulary v = freezer.freeze(minCount, maxSize);
            whole.put(v.version(), v);
            summaries.put(v.version(), summary(v));
            return v;
        } finally {
            freezing.unlock();
        }
    }

    /**
     * @throws IllegalArgumentException for a malformed version
     * @throws NoSuchVocabularyException when there is no such version
     */
    public Vocabulary get(String version) {
        Vocabulary.key(version);
        return whole.get(version, v -> vocabularies.find(v).orElseThrow(() -> new NoSuchVocabularyException(v)));
    }

    /** Every version, newest first, without entries. */
    public List<Vocabulary> list() {
        List<Vocabulary> out = new ArrayList<>();
        for (String key : store.list(PREFIX)) {
            if (key.endsWith(".json") && key.indexOf('/', PREFIX.length()) < 0) {
                String version = key.substring(PREFIX.length(), key.length() - ".json".length());
                if (Vocabulary.VERSION.matcher(version).matches()) {
                    summaryOf(version).ifPresent(out::add);
                }
            }
        }
        out.sort(Comparator.comparing((Vocabulary v) -> v.createdAt() == null ? "" : v.createdAt())
                .thenComparing(Vocabulary::version).reversed());
        return out;
    }

    /** A version without its entries, read once; empty when its file is gone or unreadable. */
    private Optional<Vocabulary> summaryOf(String version) {
        Vocabulary known = summaries.get(version);
        if (known != null) {
            return Optional.of(known);
        }
        try { // read past the cache of whole ones: a listing would push the vocabularies in use out
            Optional<Vocabulary> read = vocabularies.find(version).map(VocabularyCatalog::summary);
            read.ifPresent(s -> summaries.put(version, s));
            return read;
        } catch (RuntimeException e) { // one unreadable file must not hide every other version
            LOG.warnf("vocabulary %s is unreadable and left out of the listing: %s", version, e.getMessage());
            return Optional.empty();
        }
    }

    private static Vocabulary summary(Vocabulary v) {
        return new Vocabulary(v.version(), v.createdAt(), v.rule(), v.size(), List.of());
    }

    /**
     * A resolution restricted to the synsets of a vocabulary; a term left with none says which of
     * its synsets the vocabulary lacks.
     */
    public Labeler.Resolution restrict(Labeler.Resolution r, Vocabulary vocabulary) {
        if (r.synsets().isEmpty()) {
            return r;
        }
        // built once per version, not once per term (a 100,000-synset vocabulary times 256 terms)
        java.util.Set<String> in = synsetSets.get(vocabulary.version(), v -> vocabulary.indexBySynset().keySet());
        List<Labeler.Label> kept = r.synsets().stream().filter(l -> in.contains(l.synset())).toList();
        if (!kept.isEmpty()) {
            return new Labeler.Resolution(r.term(), kept, "");
        }
        return new Labeler.Resolution(r.term(), List.of(), "none of its synsets ("
                + String.join(", ", r.synsets().stream().map(l -> l.synset() + " " + l.lemma()).toList())
                + ") is in vocabulary " + vocabulary.version());
    }

    /** A freeze was asked for while another one runs. */
    public static final class FreezeRunningException extends IllegalStateException {
        FreezeRunningException() {
            super("another vocabulary freeze is running; retry when it has finished");
        }
    }

    /** No vocabulary of that version. */
    public static final class NoSuchVocabularyException extends RuntimeException {
        public NoSuchVocabularyException(String version) {
            super("no vocabulary " + version + " (ListVocabularies shows the frozen versions)");
        }
    }
}
