package dev.maws.label.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.maws.label.segment.HashtagExtractor.Hashtag;

class HashtagExtractorTest {
    private final HashtagExtractor extractor = new HashtagExtractor(100);

    private List<String> tags(String caption) {
        return extractor.extract(caption).stream().map(Hashtag::normalized).toList();
    }

    @Test
    void findsTagsInOrderLowercasedAndSkipsMentionsUrlsAndEmail() {
        assertEquals(List.of("goldenretriever", "beach", "dog"),
                tags("Sunny day with @bestfriend #GoldenRetriever at the #Beach! see https://x.com/p#anchor mail a#b@c.com #dog"));
    }

    @Test
    void isUnicodeAwareAndStopsAtEmojiAndPunctuation() {
        assertEquals(List.of("café", "straße", "ねこ", "dog"), tags("#Café #Straße #ねこ🐱 #dog🐶🐶, ok"));
        assertEquals(List.of("katze"), tags("＃Katze"));
    }

    @Test
    void dropsTrailingDigitsAndIgnoresTagsWithoutLetters() {
        assertEquals(List.of("beach", "summer"), tags("#beach2024 #2024 #1 #summer_2023"));
    }

    @Test
    void aTagInsideAWordIsNoTag() {
        assertEquals(List.of("real"), tags("C#sharp issue#12 x&#39; #real"));
    }

    @Test
    void camelCaseSpellsOutTheWords() {
        Hashtag t = extractor.extract("#GoldenRetriever #NYCSkyline #ice_cream").get(0);
        assertEquals(List.of("golden", "retriever"), t.camelWords());
        assertEquals(List.of("nyc", "skyline"), extractor.extract("#NYCSkyline").get(0).camelWords());
        assertEquals(List.of("ice", "cream"), extractor.extract("#ice_cream").get(0).camelWords());
        assertEquals("icecream", extractor.extract("#ice_cream").get(0).normalized());
    }

    @Test
    void overlongTagsAreSkipped() {
        assertEquals(List.of("ok"), new HashtagExtractor(10).extract("#" + "a".repeat(11) + " #ok").stream()
                .map(Hashtag::normalized).toList());
    }

    @Test
    void captionWordsLeaveOutTagsAndShortWords() {
        assertEquals(List.of("bird", "the", "lake"), HashtagExtractor.words("A bird on the lake #crane http://x.y/z"));
    }
}
