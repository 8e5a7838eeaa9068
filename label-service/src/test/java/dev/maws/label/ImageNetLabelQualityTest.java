package dev.maws.label;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import dev.maws.label.wordnet.WordNetIndex;

/**
 * Every ImageNet-1k class's first name as one lowercase concatenated hashtag must label the class's
 * wnid; with a second hashtag naming its hypernym, more so. Misses are printed by kind; the floors
 * are what the pipeline reached when they were set (raise them when it improves; no per-class rules).
 */
class ImageNetLabelQualityTest {
    record ImageNetClass(String wnid, String firstName) {}

    static List<ImageNetClass> classes() throws Exception {
        List<ImageNetClass> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                ImageNetLabelQualityTest.class.getResourceAsStream("/imagenet1k-synsets.txt"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                String[] parts = line.split(" : ", 2);
                out.add(new ImageNetClass(parts[0].trim(), parts[1].split(",")[0].trim()));
            }
        }
        return out;
    }

    private static double accuracy(String what, Function<ImageNetClass, String> caption) throws Exception {
        List<ImageNetClass> all = classes();
        int hits = 0;
        Map<String, List<String>> misses = new LinkedHashMap<>();
        for (ImageNetClass c : all) {
            Labeler.Result result = TestWordNet.LABELER.label(caption.apply(c));
            boolean hit = result.labels().stream().anyMatch(l -> l.synset().equals(c.wnid()));
            if (hit) {
                hits++;
                continue;
            }
            String kind = result.labels().isEmpty() ? "no label" : "other sense or word";
            misses.computeIfAbsent(kind, k -> new ArrayList<>()).add(c.firstName() + " -> "
                    + result.labels().stream().map(l -> l.synset() + " " + TestWordNet.INDEX.firstLemma(WordNetIndex.offset(l.synset())))
                            .toList());
        }
        double acc = hits / (double) all.size();
        System.out.printf("%s: %d / %d = %.1f %%%n", what, hits, all.size(), 100 * acc);
        misses.forEach((kind, list) -> System.out.printf("  %s (%d): %s%n", kind, list.size(),
                list.subList(0, Math.min(25, list.size()))));
        return acc;
    }

    static String tag(String name) {
        return "#" + WordNetIndex.concat(name);
    }

    @Test
    void theFirstNameAloneLabelsTheClass() throws Exception {
        double acc = accuracy("first name alone", c -> tag(c.firstName()));
        // the issue's goal, and what the pipeline reaches (90.0 %)
        assertTrue(acc >= 0.90, "accuracy " + acc);
    }

    @Test
    void withAHypernymTagMoreClassesAreRight() throws Exception {
        double acc = accuracy("first name + hypernym", c -> {
            int offset = WordNetIndex.offset(c.wnid());
            int[] up = TestWordNet.INDEX.hypernyms(offset);
            String hyper = up.length == 0 ? "" : TestWordNet.INDEX.firstLemma(up[0]);
            return tag(c.firstName()) + " #" + WordNetIndex.concat(hyper);
        });
        // regression floor at what the pipeline reaches (97.8 %); the issue's goal is 97 %
        assertTrue(acc >= 0.975, "accuracy " + acc);
    }
}
