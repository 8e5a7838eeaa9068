package dev.maws.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.label.Labeler;
import dev.maws.label.sense.SenseChooser;
import dev.maws.label.wordnet.WordNetIndex;

/** The noise model does what the README says, checked with label-service's real labeller and WordNet. */
class CaptionGeneratorTest {
    private static final WordNetIndex WORDNET = WordNetIndex.load();
    private static final Labeler LABELER = new Labeler(WORDNET,
            new SenseChooser(WORDNET, List.of(WordNetIndex.PHYSICAL_ENTITY), List.of()), 100, 10_000, 100);

    private static List<String> synsets(String caption) {
        return LABELER.label(caption).labels().stream().map(Labeler.Label::synset).toList();
    }

    @Test
    void everyClassFormMeansItsClassAndGenericTagsMeanNothing() {
        for (int c = 0; c < 10; c++) {
            for (String form : CaptionGenerator.FORMS.get(c)) {
                assertEquals(List.of(FashionMnist.CLASS_SYNSETS.get(c)), synsets("#" + form),
                        "#" + form + " should label " + FashionMnist.CLASS_NAMES.get(c));
            }
        }
        for (String tag : CaptionGenerator.GENERIC) {
            assertEquals(List.of(), synsets("#" + tag), "#" + tag + " names nothing visual");
        }
        assertEquals(List.of(), synsets(String.join(" ", CaptionGenerator.WORDS) + " " + String.join(" ",
                CaptionGenerator.EMOJI) + " @shop1 https://example.com/p/1"), "words, emoji, mentions, links: no label");
    }

    @Test
    void labelsComeOutAtTheRatesOfTheNoiseModel() {
        CaptionGenerator generator = new CaptionGenerator(new CaptionGenerator.Noise(0.8, 0.15, 42));
        int n = 4000;
        int right = 0;
        int wrong = 0;
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            List<String> s = synsets(generator.caption(i, label));
            right += s.contains(FashionMnist.CLASS_SYNSETS.get(label)) ? 1 : 0;
            wrong += s.stream().anyMatch(x -> !x.equals(FashionMnist.CLASS_SYNSETS.get(label))) ? 1 : 0;
        }
        // binomial standard deviations at n=4000: 0.0063 (p) and 0.0056 (q); 4 of them allowed
        assertEquals(0.8, right / (double) n, 0.026, "true-class rate");
        assertEquals(0.15, wrong / (double) n, 0.023, "wrong-class rate");
        assertEquals(generator.caption(7, 3), generator.caption(7, 3), "seeded: the same caption every time");
        assertTrue(!generator.caption(7, 3).equals(generator.caption(8, 3)), "images differ");
    }
}
