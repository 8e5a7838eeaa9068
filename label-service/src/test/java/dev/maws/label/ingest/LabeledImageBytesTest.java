package dev.maws.label.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.maws.label.Labeler;
import dev.maws.label.TestWordNet;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.proto.v1.SynsetEvidence;

class LabeledImageBytesTest {
    private static final String[] PIECES = {"", "a", "dog", "n02084071", "great_white_shark", "é", "日本", "😀", "\u0000", "ß",
        "x".repeat(200), "\uD800"}; // the last an unpaired surrogate: '?' in both
    private static final double[] SCORES = {0.0, -0.0, 1.0, 0.5, 0.123456789, 1e-9, Double.NaN, 0.9999999};

    @Test
    void writesTheBytesOfTheGeneratedBuilder() {
        SplittableRandom random = new SplittableRandom(23);
        for (int k = 0; k < 20_000; k++) {
            List<String> hashtags = new ArrayList<>();
            for (int n = random.nextInt(7); n > 0; n--) {
                hashtags.add(text(random));
            }
            List<Labeler.Label> labels = new ArrayList<>();
            for (int n = random.nextInt(5); n > 0; n--) {
                labels.add(new Labeler.Label(text(random), text(random), text(random), SCORES[random.nextInt(SCORES.length)]));
            }
            check(ByteString.copyFromUtf8(text(random)), ByteString.copyFromUtf8(text(random)),
                    ByteString.copyFromUtf8(text(random)), new Labeler.Result(hashtags, labels), text(random));
        }
    }

    @Test
    void writesRealLabelsAsTheBuilderDoes() {
        for (String caption : List.of("#crane #bird at the lake", "#GoldenRetriever #beach2024 #love", "no tags at all",
                "#greatwhiteshark #icecream #dogsofinstagram 😀 #geese")) {
            check(ByteString.copyFromUtf8("img-1"), ByteString.copyFromUtf8("images/a/1.png"), ByteString.copyFromUtf8(caption),
                    TestWordNet.LABELER.label(caption), CaptionProcessor.LABELER_VERSION);
        }
    }

    private static void check(ByteString id, ByteString uri, ByteString caption, Labeler.Result result, String version) {
        LabeledImage.Builder b = LabeledImage.newBuilder().setImageIdBytes(id).setImageUriBytes(uri).setCaptionBytes(caption)
                .addAllHashtags(result.hashtags()).setLabelerVersion(version);
        for (Labeler.Label l : result.labels()) {
            b.addSynsets(l.synset());
            b.addEvidence(SynsetEvidence.newBuilder().setSynset(l.synset()).setLemma(l.lemma()).setHashtag(l.hashtag())
                    .setScore((float) l.score()));
        }
        assertArrayEquals(b.build().toByteArray(), LabeledImageBytes.of(id, uri, caption, result, version), result.toString());
    }

    private static String text(SplittableRandom random) {
        StringBuilder b = new StringBuilder();
        for (int n = random.nextInt(3); n > 0; n--) {
            b.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return b.toString();
    }
}
