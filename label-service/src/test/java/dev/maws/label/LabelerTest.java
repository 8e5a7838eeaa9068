package dev.maws.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.maws.label.segment.Segmenter;

/** The examples, end to end on the real WordNet 3.0. */
class LabelerTest {
    private final Labeler labeler = TestWordNet.LABELER;

    private List<String> synsets(String caption) {
        return labeler.label(caption).labels().stream().map(Labeler.Label::synset).toList();
    }

    @Test
    void aTagRepeatedHundredsOfTimesLabelsAsItDoesOnce() {
        // each lemma's sense is chosen once, against each other lemma once (this caption took 0.26 s before)
        String spam = "#crane #bird ".repeat(180).trim();
        assertEquals(labeler.label("#crane #bird").labels(), labeler.label(spam).labels());
        assertEquals(360, labeler.label(spam).hashtags().size(), "every hashtag is still reported");
    }

    @Test
    void moreDistinctHashtagsThanTheLimitAreRefused() {
        StringBuilder tags = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            tags.append("#tag").append(i).append("x ");
        }
        assertEquals(100, labeler.label(tags.toString()).hashtags().size(), "100 distinct: the limit itself is fine");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> labeler.label(tags + "#one_more"));
        assertEquals("caption has 101 distinct hashtags, more than maws.label.max-hashtags-per-caption = 100", e.getMessage());
    }

    @Test
    void camelCaseAndConcatenatedCompoundsFindTheCompound() {
        assertEquals(List.of("n02099601"), synsets("#GoldenRetriever")); // golden retriever
        assertEquals(List.of("n02099601"), synsets("#goldenretriever"));
        assertEquals(List.of("n01484850"), synsets("#greatwhiteshark")); // great white shark
        assertEquals(List.of("n07614500"), synsets("#icecream")); // ice cream
    }

    @Test
    void gluedWordsAndGenericTagsLeaveTheHeadNoun() {
        assertEquals(List.of("n02084071"), synsets("#dogsofinstagram")); // dog
        Labeler.Label boot = labeler.label("#ankleboots").labels().get(0);
        assertEquals("boot", boot.lemma());
        assertEquals("ankleboots", boot.hashtag());
    }

    @Test
    void pluralsIrregularsYearsAndRepeatedLetters() {
        assertEquals(List.of("n01855672"), synsets("#geese")); // goose
        assertEquals(synsets("#beach"), synsets("#beach2024"));
        assertEquals(synsets("#dog"), synsets("#dogggg"));
        assertEquals(synsets("#dogs"), synsets("#dog"));
        assertEquals(List.of("n03595614"), synsets("#tshirts")); // t-shirt: the plural of a hyphenated lemma
    }

    @Test
    void tagsThatNameNothingVisualYieldNoLabel() {
        Labeler.Result r = labeler.label("#love #tbt #instagood #cuteeee #photooftheday #happiness");
        assertEquals(List.of("love", "tbt", "instagood", "cuteeee", "photooftheday", "happiness"), r.hashtags());
        assertEquals(List.of(), r.labels());
    }

    @Test
    void contextPicksTheSense() {
        assertEquals(List.of("n02012849", "n01503061"), synsets("#crane #bird")); // the bird, then bird
        assertTrue(synsets("#crane #construction #truck").contains("n03126707"), "the machine"); // crane, lifting device
        assertTrue(synsets("#mouse #keyboard #computer").contains("n03793489"), "the computer mouse");
        assertTrue(synsets("#mouse #cheese #rodent").contains("n02330245"), "the rodent");
    }

    @Test
    void synonymousTagsMergeIntoOneSynset() {
        Labeler.Result r = labeler.label("#sneakers #tennisshoes #gymshoes");
        assertEquals(1, r.labels().size(), r.labels().toString());
        assertEquals("n03472535", r.labels().get(0).synset()); // gym shoe, sneaker, tennis shoe
    }

    @Test
    void aLaterSynonymousTagThatScoresHigherNamesTheLabelInTheFirstOnesPlace() {
        // alone, #sneakers is less sure (a sneaker is also one who sneaks) than the monosemous #tennisshoes;
        // in the caption each is scored against the other tags, and #tennisshoes still scores higher
        Labeler.Label sneakers = labeler.label("#sneakers").labels().get(0);
        Labeler.Label tennisShoes = labeler.label("#tennisshoes").labels().get(0);
        assertEquals(sneakers.synset(), tennisShoes.synset());
        assertTrue(sneakers.score() < tennisShoes.score(), sneakers + " vs " + tennisShoes);

        List<Labeler.Label> labels = labeler.label("#sneakers #dog #tennisshoes").labels();
        assertEquals(List.of("n03472535", "n02084071"), labels.stream().map(Labeler.Label::synset).toList(),
                "the shoe where #sneakers was, then the dog: " + labels);
        assertEquals("tennisshoes", labels.get(0).hashtag());
        assertEquals("tennis_shoe", labels.get(0).lemma());
    }

    @Test
    void fashionMnistClassNamesResolveToTheirGarments() {
        Map<String, String> expected = Map.of(
                "T-shirt/top", "n03595614", // jersey, T-shirt, tee shirt
                "Trouser", "n04489008", // trouser, pant
                "Pullover", "n04021028", // pullover, slipover (a sweater)
                "Dress", "n03236735", // dress, frock
                "Coat", "n03057021", // coat
                "Sandal", "n04133789", // sandal
                "Shirt", "n04197391", // shirt
                "Sneaker", "n03472535", // gym shoe, sneaker, tennis shoe
                "Bag", "n02773037", // bag
                "Ankle boot", "n02872752"); // boot (head noun)
        expected.forEach((name, wnid) -> {
            Labeler.Resolution r = labeler.resolve(name);
            assertEquals(wnid, r.synsets().get(0).synset(), name + " -> " + r.synsets());
        });
        Labeler.Resolution none = labeler.resolve("happiness");
        assertTrue(none.synsets().isEmpty());
        assertEquals("\"happiness\" names no visual WordNet noun", none.unresolvedReason());
    }

    @Test
    void scoresAreProbabilitiesAndTheSegmenterExplainsItself() {
        for (Labeler.Label l : labeler.label("#crane #bird #sunset #beach").labels()) {
            assertTrue(l.score() > 0 && l.score() <= 1, l.toString());
        }
        Segmenter.Segmentation s = new Segmenter(TestWordNet.INDEX).segment("dogsofinstagram");
        assertEquals(List.of("dogs", "of", "instagram"), s.segments().stream().map(Segmenter.Segment::text).toList());
        assertEquals(Segmenter.Kind.GENERIC, s.segments().get(2).kind());
    }
}
