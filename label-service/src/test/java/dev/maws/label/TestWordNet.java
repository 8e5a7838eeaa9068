package dev.maws.label;

import java.util.List;

import dev.maws.label.sense.SenseChooser;
import dev.maws.label.wordnet.WordNetIndex;

/** One WordNet index per test JVM (loading takes a few seconds). */
public final class TestWordNet {
    public static final WordNetIndex INDEX = WordNetIndex.load();
    public static final SenseChooser SENSES = new SenseChooser(INDEX, List.of(WordNetIndex.PHYSICAL_ENTITY), List.of());
    public static final Labeler LABELER = new Labeler(INDEX, SENSES, 100, 10_000, 100);

    private TestWordNet() {}
}
