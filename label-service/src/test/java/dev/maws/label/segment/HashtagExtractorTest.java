package dev.maws.label.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        assertEquals(List.of("bird", "the", "lake"), extractor.parse("A bird on the lake #crane http://x.y/z").words());
    }

    @Test
    void lettersOutsideTheBasicPlaneAreLetters() {
        // the regular expressions saw a surrogate, not a letter: "#𝒜𝒷𝒸" was no tag and "x𝒜#dog" was one
        assertEquals(List.of("𝒜𝒷𝒸"), tags("#𝒜𝒷𝒸"));
        assertEquals(List.of(), tags("x𝒜#dog"));
    }

    @Test
    void agreesWithTheRegularExpressionsItReplacedOnRandomCaptions() {
        // pieces that exercise every rule: links, mail, mentions, entities, marks, full-width '#',
        // surrogate pairs (emoji), digits of other scripts, CamelCase runs. Letters outside the BMP
        // are left out: there the regular expressions were wrong (next test).
        String[] pieces = {"#", "＃", "#", "#", "dog", "Golden", "RETRIEVER", "Ǆ", "e\u0301", "_", "__", "2024", "٣", "Ⅻ",
            "😀", "&", "/", "@", "me@mail.com", "http://x.y/#a", "WWW.foo.org/#b", "www", ".", ":", " ", " ", "  ",
            ",", "IPhone", "ü", "ねこ", "x", "#cute_", "a#b", "\t", "\n", "\u000B", "a@b.c", "@.", ".@", "@@", "x.y"};
        SplittableRandom random = new SplittableRandom(17);
        for (int c = 0; c < 20_000; c++) {
            StringBuilder b = new StringBuilder();
            for (int k = random.nextInt(12); k > 0; k--) {
                b.append(pieces[random.nextInt(pieces.length)]);
            }
            String caption = b.toString();
            HashtagExtractor.Parsed parsed = extractor.parse(caption);
            assertEquals(RegexReference.extract(caption, 100),
                    parsed.hashtags().stream().map(t -> new Spelled(t.raw(), t.normalized(), t.camelWords())).toList(),
                    caption);
            assertEquals(RegexReference.words(caption), parsed.words(), caption);
        }
    }

    @Test
    void aLongRunOfAtSignsIsReadLikeAnyOther() {
        // the e-mail regular expression took 15 s on the first of these (cubic backtracking); now one pass
        assertEquals(List.of("dog"), tags("@".repeat(2_190) + " #dog"));
        assertEquals(List.of("dog"), tags("#dog " + "a@".repeat(1_000) + "b.c"));
        assertEquals(List.of("hello"), extractor.parse("hello " + "mail@".repeat(400) + "host.com").words());
    }

    /** A tag with everything the extractor says of it. */
    private record Spelled(String raw, String normalized, List<String> camelWords) {}

    /** The regular-expression extractor this class replaced (the specification it must keep). */
    private static final class RegexReference {
        static final Pattern URL = Pattern.compile("(?i)\\b(?:https?://|www\\.)\\S+");
        static final Pattern EMAIL = Pattern.compile("\\S+@\\S+\\.\\S+");
        static final Pattern TAG = Pattern.compile("(?<![\\p{L}\\p{M}\\p{N}_&/#＃])[#＃]([\\p{L}\\p{M}\\p{N}_]+)");
        static final Pattern CAMEL = Pattern.compile("(?<=\\p{Ll})(?=\\p{Lu})|(?<=\\p{Lu})(?=\\p{Lu}\\p{Ll})");

        static List<Spelled> extract(String caption, int maxTagLength) {
            String text = EMAIL.matcher(URL.matcher(caption).replaceAll(" ")).replaceAll(" ");
            List<Spelled> tags = new ArrayList<>();
            Matcher m = TAG.matcher(text);
            while (m.find()) {
                String raw = m.group(1);
                if (raw.length() > maxTagLength) {
                    continue;
                }
                String body = raw.replaceAll("_+$", "").replaceAll("\\p{N}+$", "");
                String normalized = body.replace("_", "").toLowerCase(Locale.ROOT);
                if (normalized.codePoints().noneMatch(Character::isLetter)) {
                    continue;
                }
                List<String> camel = new ArrayList<>();
                for (String part : body.split("_+")) {
                    for (String w : CAMEL.split(part)) {
                        if (!w.isEmpty()) {
                            camel.add(w.toLowerCase(Locale.ROOT));
                        }
                    }
                }
                tags.add(new Spelled(raw, normalized, camel));
            }
            return tags;
        }

        static List<String> words(String caption) {
            String text = EMAIL.matcher(URL.matcher(caption).replaceAll(" ")).replaceAll(" ");
            text = TAG.matcher(text).replaceAll(" ");
            List<String> out = new ArrayList<>();
            for (String w : text.split("[^\\p{L}]+")) {
                if (w.length() > 2) {
                    out.add(w.toLowerCase(Locale.ROOT));
                }
            }
            return out;
        }
    }
}
