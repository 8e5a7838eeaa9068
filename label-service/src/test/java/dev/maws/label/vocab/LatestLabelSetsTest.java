package dev.maws.label.vocab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class LatestLabelSetsTest {

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theLatestRecordOfEachImageCountsAndATombstoneRemovesIt() {
        LatestLabelSets sets = new LatestLabelSets();
        // partition 0
        sets.put(key("a"), List.of("n1", "n2"));
        sets.put(key("b"), List.of("n1"));
        sets.put(key("a"), List.of("n3")); // re-labelled: only this counts
        sets.put(key("c"), List.of("n2"));
        sets.remove(key("c")); // deleted
        sets.put(key("d"), List.of()); // an image without labels is an image
        assertEquals(3, sets.imagesInPartition());
        sets.endPartition();
        assertEquals(0, sets.imagesInPartition());
        // partition 1: other images, one set seen before
        sets.put(key("e"), List.of("n1"));
        sets.put(key("f"), List.of("n2", "n3"));
        sets.endPartition();
        assertEquals(5, sets.images());
        assertEquals(Map.of("n1", 2L, "n3", 2L, "n2", 1L), sets.synsetCounts());
    }

    @Test
    void countsMatchAPlainMapOfEveryImageOnRandomRecords() {
        Random r = new Random(11);
        LatestLabelSets sets = new LatestLabelSets();
        Map<String, List<String>> expected = new HashMap<>();
        long images = 0;
        for (int partition = 0; partition < 3; partition++) {
            Map<String, List<String>> latest = new HashMap<>();
            for (int i = 0; i < 60_000; i++) { // ~4 ints a record: blocks of 65,536 ints fill and are crossed
                String id = "p" + partition + "-img-" + r.nextInt(25_000);
                if (r.nextInt(20) == 0) {
                    sets.remove(key(id));
                    latest.remove(id);
                } else {
                    List<String> synsets = r.nextInt(4) == 0 ? List.of("n" + r.nextInt(50))
                            : r.nextInt(3) == 0 ? List.of("n" + r.nextInt(50), "n" + (50 + r.nextInt(50)), "n" + (100 + r.nextInt(9)))
                            : List.of("n" + r.nextInt(50), "n" + (50 + r.nextInt(50)));
                    sets.put(key(id), synsets);
                    latest.put(id, synsets);
                }
            }
            sets.endPartition();
            images += latest.size();
            expected.putAll(latest);
        }
        Map<String, Long> counts = new HashMap<>();
        expected.values().forEach(l -> l.forEach(s -> counts.merge(s, 1L, Long::sum)));
        assertEquals(images, sets.images());
        assertEquals(counts, sets.synsetCounts());
        assertTrue(images > 60_000, images + " images");
    }

    @Test
    void recordsThatFillABlockExactlyAndReLabellingInPlaceCount() {
        LatestLabelSets sets = new LatestLabelSets();
        for (int i = 0; i < 32_768; i++) { // 2 ints each: the first block exactly full
            sets.put(key("img-" + i), List.of("n" + (i % 7)));
        }
        sets.put(key("img-next"), List.of("n9", "n8")); // the first record of the second block
        sets.put(key("img-0"), List.of()); // fewer labels: rewritten in place
        sets.put(key("img-1"), List.of("n1", "n2", "n3")); // more: a new place
        assertEquals(32_769, sets.imagesInPartition());
        sets.endPartition();
        Map<String, Long> counts = sets.synsetCounts();
        assertEquals(32_769, sets.images());
        assertEquals(4_682L - 1, counts.get("n0"), "img-0 re-labelled with nothing");
        assertEquals(4_681L, counts.get("n1"), "img-1 keeps n1");
        assertEquals(4_681L + 1, counts.get("n2"));
        assertEquals(4_681L + 1, counts.get("n3"));
        assertEquals(1L, counts.get("n9"));
    }

    @Test
    void imagesWithManyLabelsFillBlocksAndStillCount() {
        LatestLabelSets sets = new LatestLabelSets();
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add("n" + i);
        }
        for (int i = 0; i < 200; i++) { // 200 x 1,001 ints: four blocks of 65,536, none split
            sets.put(key("img-" + i), many);
        }
        sets.put(key("img-0"), List.of("n5"));
        sets.endPartition();
        assertEquals(200, sets.images());
        assertEquals(200L, sets.synsetCounts().get("n5"));
        assertEquals(199L, sets.synsetCounts().get("n6"));
        assertEquals(1000, sets.synsetCounts().size());
    }
}
