package dev.maws.label;

import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The labelling rules and the limits on what comes from outside. */
@ConfigMapping(prefix = "maws.label")
public interface LabelConfig {
    /** Synsets under one of these (WordNet 3.0 ids) are visual concepts; physical_entity.n.01 by default. */
    @WithDefault("n00001930")
    List<String> allowRoots();

    /** Synsets under one of these never become labels, even under an allowed root. */
    Optional<List<String>> denyRoots();

    /** Longest caption accepted, in characters (Instagram's limit is 2,200). */
    @WithDefault("2200")
    int maxCaptionLength();

    /** Most captions in one REST request. */
    @WithDefault("256")
    int maxCaptionsPerRequest();

    /**
     * A dead-lettered record keeps at most this many bytes of its value (the header
     * dead-letter-value-bytes gives the original size; the whole record stays in captions at the
     * offset its headers name): a record that arrived compressed must not be too large to send on.
     */
    @WithDefault("262144")
    int deadLetterMaxValueBytes();

    /** Hashtags (as written) whose segmentation is kept in memory. */
    @WithDefault("100000")
    long tagCacheSize();

    /** Longer hashtags are ignored (never a real word, and costly to segment). */
    @WithDefault("100")
    int maxTagLength();

    /**
     * Most distinct hashtags in one caption; more is refused (400 / INVALID_ARGUMENT, or captions.dlq).
     * The sense choice compares each tag with every other: its cost grows with their square.
     */
    @WithDefault("100")
    int maxHashtagsPerCaption();

    Vocab vocabulary();

    /** Frozen vocabularies ({@code FreezeVocabulary}). */
    interface Vocab {
        /** The topic whose images are counted. */
        @WithDefault("labeled-images")
        String topic();

        /** Largest vocabulary that can be frozen (and the size when max_size is 0). */
        @WithDefault("100000")
        int maxSize();

        /** Longest a freeze may spend reading the topic. */
        @WithDefault("5m")
        java.time.Duration scanTimeout();
    }
}
