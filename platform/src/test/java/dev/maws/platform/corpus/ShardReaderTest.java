package dev.maws.platform.corpus;

import static dev.maws.platform.corpus.Tars.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ShardReaderTest {

    record Read(List<CorpusSample> samples, ShardSummary summary) {
        List<String> keys() {
            return samples.stream().map(CorpusSample::key).toList();
        }
    }

    static Read read(byte[] tar) {
        return read(tar, CorpusLimits.DEFAULTS);
    }

    static Read read(byte[] tar, CorpusLimits limits) {
        List<CorpusSample> samples = new ArrayList<>();
        ShardSummary summary = new ShardReader(limits).read(new ByteArrayInputStream(tar), "s.tar", new KeyLedger(), k -> false,
                samples::add);
        return new Read(samples, summary);
    }

    /** One bad sample between two good ones: the good ones are read, the bad one counted once under {@code reason}. */
    static void assertSkippedAs(SkipReason reason, Tars.Builder badSample) {
        // the members of each tar without its end-of-archive marker, spliced: good, bad, good
        byte[] head = new Tars.Builder().sample("before", "first").bytes();
        byte[] bad = badSample.bytes();
        byte[] tail = new Tars.Builder().sample("zafter", "last").bytes();
        Read r = read(Tars.concat(Tars.withoutEndMarker(head), Tars.withoutEndMarker(bad), tail));
        assertEquals(List.of("before", "zafter"), r.keys(), "the good samples around it");
        assertEquals(Map.of(reason, 1L), r.summary().skipped());
        assertNull(r.summary().failure());
    }

    @Test
    void goodSamplesComeInTarOrderWithTheirCaptionAndWhereTheirImageLies() {
        byte[] jpeg = Tars.jpeg(20, 12, 1);
        byte[] png = Tars.png(5, 4);
        byte[] webp = Tars.webp();
        byte[] tar = new Tars.Builder()
                .add("000.jpg", jpeg).add("000.txt", "  a red bicycle\n")
                .add("001.png", png).add("001.json", "{\"caption\": \"two cats\", \"width\": 5}")
                .add("002.txt", "a map").add("002.webp", webp)
                .bytes();
        Read r = read(tar);
        assertEquals(List.of("000", "001", "002"), r.keys());
        assertEquals(List.of("a red bicycle", "two cats", "a map"), r.samples().stream().map(CorpusSample::caption).toList());
        assertEquals(List.of(ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.WEBP),
                r.samples().stream().map(s -> s.image().format()).toList());
        assertEquals(List.of("jpg", "png", "webp"), r.samples().stream().map(s -> s.image().extension()).toList());
        for (byte[] image : List.of(jpeg, png, webp)) {
            CorpusSample s = r.samples().stream().filter(x -> Arrays.equals(x.image().bytes(), image)).findFirst().orElseThrow();
            assertEquals(Tars.indexOf(tar, image), s.image().offset());
            assertEquals(image.length, s.image().length());
            assertArrayEquals(image, Arrays.copyOfRange(tar, (int) s.image().offset(), (int) s.image().offset() + s.image().length()));
        }
        assertEquals(new ShardSummary("s.tar", 3, Map.of(), Map.of(), 0, 0, null), r.summary());
    }

    @Test
    void aKeyIsThePathUpToTheFirstDotOfTheFileName() {
        String deep = "a-directory-name-that-is-long/".repeat(4) + "x".repeat(90); // over 100 characters: a PAX header
        byte[] image = Tars.jpeg(9, 9, 4);
        byte[] tar = new Tars.Builder()
                .directory("dir")
                .sample("dir/sub/abc", "in a directory")
                .add("./lead.jpg", Tars.jpeg(8, 8, 2)).add("./lead.txt", "dot slash dropped")
                .add("UPPER.JPEG", Tars.jpeg(8, 8, 3)).add("UPPER.TXT", "extensions in any case")
                .sample("caf\u00e9-\u732b", "names are UTF-8")
                .add(deep + ".jpg", image).add(deep + ".txt", "a long name")
                .add("multi.seg.png", Tars.png(2, 2)).add("multi.txt", "seg.png is not an image extension")
                .bytes();
        Read r = read(tar);
        assertEquals(List.of("dir/sub/abc", "lead", "UPPER", "caf\u00e9-\u732b", deep), r.keys());
        CorpusSample longOne = r.samples().get(4);
        assertArrayEquals(image, Arrays.copyOfRange(tar, (int) longOne.image().offset(), (int) longOne.image().offset() + image.length),
                "the offset is past the PAX header");
        assertEquals(Map.of(SkipReason.CAPTION_WITHOUT_IMAGE, 1L), r.summary().skipped());
        assertEquals(Map.of(SkipReason.CAPTION_WITHOUT_IMAGE, List.of("multi")), r.summary().examples());
    }

    @Test
    void membersWithoutKeyOrExtensionAreCountedAsIgnored() {
        Read r = read(new Tars.Builder().add("README", "x").add("._abc.jpg", "mac fork").add("abc.", "no ext")
                .sample("abc", "kept").directory("empty").bytes());
        assertEquals(List.of("abc"), r.keys());
        assertEquals(3, r.summary().membersIgnored());
        assertEquals(Map.of(), r.summary().skipped());
    }

    @Test
    void aCaptionWithoutImageIsCountedAndSkipped() {
        assertSkippedAs(SkipReason.CAPTION_WITHOUT_IMAGE, new Tars.Builder().add("lonely.txt", "no picture"));
        assertSkippedAs(SkipReason.CAPTION_WITHOUT_IMAGE, new Tars.Builder().add("lonely.json", "{\"caption\": \"x\"}"));
    }

    @Test
    void anImageWithoutCaptionIsCountedAndSkipped() {
        assertSkippedAs(SkipReason.IMAGE_WITHOUT_CAPTION, new Tars.Builder().add("mute.jpg", Tars.jpeg(8, 8, 0)));
        assertSkippedAs(SkipReason.IMAGE_WITHOUT_CAPTION, new Tars.Builder().add("mute.jpg", Tars.jpeg(8, 8, 0))
                .add("mute.json", "{\"url\": \"http://x\"}"));
    }

    @Test
    void aKeyWithOnlyOtherMembersIsCountedAsOrphan() {
        assertSkippedAs(SkipReason.ORPHAN_MEMBERS, new Tars.Builder().add("meta.cls", "3").add("meta.npy", new byte[] {1}));
    }

    @Test
    void aKeyRepeatedLaterInTheShardIsADuplicateAndTheFirstIsKept() {
        Read r = read(new Tars.Builder().sample("a", "first a").sample("b", "b").sample("a", "second a").bytes());
        assertEquals(List.of("a", "b"), r.keys());
        assertEquals("first a", r.samples().get(0).caption());
        assertEquals(Map.of(SkipReason.DUPLICATE_KEY, 1L), r.summary().skipped());
        // members of one key that are not consecutive are two samples, as in webdataset: the second is the duplicate
        Read split = read(new Tars.Builder().add("c.jpg", Tars.jpeg(8, 8, 1)).sample("d", "d").add("c.txt", "late").bytes());
        assertEquals(List.of("d"), split.keys());
        assertEquals(Map.of(SkipReason.IMAGE_WITHOUT_CAPTION, 1L, SkipReason.DUPLICATE_KEY, 1L), split.summary().skipped());
    }

    @Test
    void twoImagesOrTwoMembersOfOneExtensionUnderOneKeyConflict() {
        assertSkippedAs(SkipReason.CONFLICTING_MEMBERS, new Tars.Builder().add("k.jpg", Tars.jpeg(8, 8, 0))
                .add("k.png", Tars.png(2, 2)).add("k.txt", "which image?"));
        assertSkippedAs(SkipReason.CONFLICTING_MEMBERS, new Tars.Builder().add("k.jpg", Tars.jpeg(8, 8, 0))
                .add("k.txt", "one").add("k.txt", "two"));
    }

    @Test
    void aLinkMemberIsUnsupported() {
        assertSkippedAs(SkipReason.UNSUPPORTED_MEMBER, new Tars.Builder().symlink("ln.jpg", "other.jpg").add("ln.txt", "a link"));
    }

    @Test
    void anImageOverTheByteLimitIsSkippedUnread() {
        assertEquals(16 << 20, CorpusLimits.DEFAULTS.maxImageBytes());
        byte[] big = Tars.jpeg(200, 200, 5);
        Read r = read(new Tars.Builder().add("big.jpg", big).add("big.txt", "large").sample("small", "fits").bytes(),
                CorpusLimits.DEFAULTS.withMaxImageBytes(big.length - 1));
        assertEquals(List.of("small"), r.keys());
        assertEquals(Map.of(SkipReason.IMAGE_TOO_LARGE, 1L), r.summary().skipped());
    }

    @Test
    void aCaptionOfOneMegabyteIsRefused() {
        assertEquals(64 << 10, CorpusLimits.DEFAULTS.maxCaptionBytes());
        assertSkippedAs(SkipReason.CAPTION_TOO_LONG, new Tars.Builder().add("long.jpg", Tars.jpeg(8, 8, 0))
                .add("long.txt", "w".repeat(1 << 20)));
        assertSkippedAs(SkipReason.CAPTION_TOO_LONG, new Tars.Builder().add("long.jpg", Tars.jpeg(8, 8, 0))
                .add("long.json", "{\"caption\": \"" + "w".repeat(1 << 20) + "\"}"));
    }

    @Test
    void invalidUtf8IsRefusedNotReplaced() {
        byte[][] invalid = {{'a', (byte) 0x80, 'b'}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {'o', 'k', (byte) 0xE2, (byte) 0x82}};
        for (byte[] caption : invalid) {
            assertSkippedAs(SkipReason.INVALID_UTF8, new Tars.Builder().add("bad.jpg", Tars.jpeg(8, 8, 0)).add("bad.txt", caption));
            byte[] json = Tars.concat(utf8("{\"caption\": \""), caption, utf8("\"}"));
            assertSkippedAs(SkipReason.INVALID_UTF8, new Tars.Builder().add("bad.jpg", Tars.jpeg(8, 8, 0)).add("bad.json", json));
        }
        Read r = read(new Tars.Builder().sample("ok", "caf\u00e9 \u2615 \ud83d\udc08").bytes());
        assertEquals("caf\u00e9 \u2615 \ud83d\udc08", r.samples().get(0).caption());
    }

    @Test
    void anEmptyOrBlankCaptionIsRefused() {
        for (String blank : new String[] {"", " \n\t\u2003"}) {
            assertSkippedAs(SkipReason.EMPTY_CAPTION, new Tars.Builder().add("e.jpg", Tars.jpeg(8, 8, 0)).add("e.txt", blank));
            assertSkippedAs(SkipReason.EMPTY_CAPTION, new Tars.Builder().add("e.jpg", Tars.jpeg(8, 8, 0))
                    .add("e.json", "{\"caption\": \"" + blank.replace("\n", "\\n").replace("\t", "\\t") + "\"}"));
        }
    }

    @Test
    void aJsonCaptionMustBeAStringFieldOfAnObject() {
        for (String json : new String[] {"{not json", "[\"caption\"]", "{\"caption\": 5}", "{\"caption\": null}",
            "{\"caption\": \"a\", \"caption\": \"b\"}", "{\"caption\": \"a\"} trailing"}) {
            assertSkippedAs(SkipReason.MALFORMED_JSON, new Tars.Builder().add("j.jpg", Tars.jpeg(8, 8, 0)).add("j.json", json));
        }
    }

    @Test
    void aNonImageUnderAnImageExtensionIsRefusedByItsFirstBytes() {
        assertSkippedAs(SkipReason.NOT_AN_IMAGE, new Tars.Builder().add("n.jpg", "<html>not found</html>").add("n.txt", "x"));
        assertSkippedAs(SkipReason.NOT_AN_IMAGE, new Tars.Builder().add("n.png", new byte[0]).add("n.txt", "x"));
        byte[] png = Tars.png(3, 3);
        Read r = read(new Tars.Builder().add("m.jpg", png).add("m.txt", "a PNG named .jpg").bytes());
        assertEquals(ImageFormat.PNG, r.samples().get(0).image().format(), "the bytes decide");
        assertEquals("jpg", r.samples().get(0).image().extension());
    }

    @Test
    void anImageCutShortIsRefusedWithoutDecodingIt() {
        byte[] jpeg = Tars.jpeg(40, 30, 2);
        byte[] png = Tars.png(40, 30);
        byte[] webp = Tars.webp();
        for (byte[] whole : List.of(jpeg, png, webp)) {
            for (int cut : new int[] {whole.length / 2, whole.length - 1}) {
                assertSkippedAs(SkipReason.TRUNCATED_IMAGE, new Tars.Builder().add("c.jpg", java.util.Arrays.copyOf(whole, cut))
                        .add("c.txt", "cut at " + cut));
            }
            // padding after the end (some writers add it) is not a cut
            byte[] padded = java.util.Arrays.copyOf(whole, whole.length + 16);
            assertEquals(1, read(new Tars.Builder().add("p.jpg", padded).add("p.txt", "padded").bytes()).samples().size());
        }
        // the image data whole, only the end-of-image marker missing
        assertSkippedAs(SkipReason.TRUNCATED_IMAGE, new Tars.Builder().add("e.jpg", java.util.Arrays.copyOf(jpeg, jpeg.length - 2))
                .add("e.txt", "x"));
    }

    @Test
    void theReasonCountedDoesNotDependOnMemberOrder() {
        byte[] notImage = utf8("plain text");
        byte[] badUtf8 = {(byte) 0xFF};
        assertSkippedAs(SkipReason.NOT_AN_IMAGE, new Tars.Builder().add("o.jpg", notImage).add("o.txt", badUtf8));
        assertSkippedAs(SkipReason.NOT_AN_IMAGE, new Tars.Builder().add("o.txt", badUtf8).add("o.jpg", notImage));
    }

    @Test
    void otherMembersAreKeptAsBoundedMetadata() {
        byte[] json = utf8("{\"caption\": \"ignored, txt wins\", \"url\": \"http://x/1.jpg\"}");
        CorpusLimits limits = new CorpusLimits(1 << 20, 1 << 10, 100, 2, 5);
        Read r = read(new Tars.Builder().add("m.jpg", Tars.jpeg(8, 8, 0)).add("m.txt", "from txt").add("m.json", json)
                .add("m.cls", "7").add("m.big", new byte[101]).add("m.npy", new byte[] {1, 2}).add("m.extra", "over the count")
                .bytes(), limits);
        CorpusSample s = r.samples().get(0);
        assertEquals("from txt", s.caption());
        assertEquals(Set.of("cls", "npy"), s.metadata().keySet());
        assertArrayEquals(new byte[] {1, 2}, s.metadata().get("npy"));
        assertEquals(3, r.summary().metadataDropped(), "m.big over the bytes, m.extra over the count, m.json over the count");
        Read withJson = read(new Tars.Builder().add("j.jpg", Tars.jpeg(8, 8, 0)).add("j.txt", "t").add("j.json", json).bytes());
        assertArrayEquals(json, withJson.samples().get(0).metadata().get("json"));
    }

    @Test
    void keysAlreadySeenAreSkippedAndCounted() {
        byte[] tar = new Tars.Builder().sample("a", "a").sample("b", "b").sample("c", "c").bytes();
        List<String> asked = new ArrayList<>();
        List<CorpusSample> samples = new ArrayList<>();
        ShardSummary s = new ShardReader(CorpusLimits.DEFAULTS).read(new ByteArrayInputStream(tar), "s.tar", new KeyLedger(),
                k -> asked.add(k) && !k.equals("b"), samples::add);
        assertEquals(List.of("a", "b", "c"), asked, "asked once per key");
        assertEquals(List.of("b"), samples.stream().map(CorpusSample::key).toList());
        assertEquals(Map.of(SkipReason.ALREADY_SEEN, 2L), s.skipped());
    }

    @Test
    void aFailingSinkEndsTheReadWithItsOwnException() {
        byte[] tar = new Tars.Builder().sample("a", "a").sample("b", "b").bytes();
        IllegalStateException boom = new IllegalStateException("sink is full");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> new ShardReader(CorpusLimits.DEFAULTS)
                .read(new ByteArrayInputStream(tar), "s.tar", new KeyLedger(), k -> false, x -> {
                    throw boom;
                }));
        assertSame(boom, thrown);
    }

    @Test
    void aShardThatCannotBeReadIsAnErrorNamingItNotDamage() {
        byte[] tar = new Tars.Builder().sample("a", "a").sample("b", "b").bytes();
        InputStream failing = new InputStream() {
            int left = 1500;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("connection reset");
                }
                return tar[1500 - left - 1] & 0xFF;
            }
        };
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> new ShardReader(CorpusLimits.DEFAULTS)
                .read(failing, "s3://b/s.tar", new KeyLedger(), k -> false, x -> { }));
        assertTrue(e.getMessage().startsWith("cannot read shard s3://b/s.tar at byte 1500"), e.getMessage());
        assertEquals("connection reset", e.getCause().getMessage());
    }
}
