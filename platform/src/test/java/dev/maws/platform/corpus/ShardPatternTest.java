package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ShardPatternTest {
    @Test
    void aZeroPaddedRangeKeepsItsWidth() {
        List<String> names = ShardPattern.expand("shard-{00000..00099}.tar");
        assertEquals(100, names.size());
        assertEquals("shard-00000.tar", names.get(0));
        assertEquals("shard-00099.tar", names.get(99));
        assertEquals(List.of("s-8.tar", "s-9.tar", "s-10.tar"), ShardPattern.expand("s-{8..10}.tar"), "no leading zero, no padding");
        assertEquals(List.of("s-098", "s-099", "s-100"), ShardPattern.expand("s-{098..100}"));
        assertEquals(List.of("3", "2", "1"), ShardPattern.expand("{3..1}"), "descending");
        assertEquals(List.of("x7"), ShardPattern.expand("x{7..7}"));
    }

    @Test
    void listsAndSeveralGroupsExpandLeftToRight() {
        assertEquals(List.of("train/a.tar", "val/a.tar"), ShardPattern.expand("{train,val}/a.tar"));
        assertEquals(List.of("a-0", "a-1", "b-0", "b-1"), ShardPattern.expand("{a,b}-{0..1}"));
        assertEquals(List.of("x.tar", "x-old.tar"), ShardPattern.expand("x{,-old}.tar"), "an empty item");
        assertEquals(List.of("plain.tar"), ShardPattern.expand("plain.tar"));
        assertTrue(ShardPattern.isPattern("a{1..2}"));
        assertFalse(ShardPattern.isPattern("/data/shard-1.tar"));
    }

    @Test
    void aMalformedPatternSaysWhatIsWrong() {
        String[][] cases = {
            {"s-{0..9.tar", "'{' at 2 is not closed"},
            {"s-0..9}.tar", "'}' at 6 closes no '{'"},
            {"s-{a,{b,c}}.tar", "nested braces are not supported"},
            {"s-{}.tar", "'{}' is empty"},
            {"s-{7}.tar", "'{7}' is neither a range {A..B} nor a list {a,b}"},
            {"s-{a..e}.tar", "range '{a..e}' needs two non-negative integers"},
            {"s-{-1..3}.tar", "range '{-1..3}' needs two non-negative integers"},
            {"s-{1..}.tar", "range '{1..}' needs two non-negative integers"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardPattern.expand(c[0]), c[0]);
            assertEquals("malformed shard pattern \"" + c[0] + "\": " + c[1], e.getMessage());
        }
    }

    @Test
    void aPatternOfMoreThanTheLimitIsRefusedBeforeItIsExpanded() {
        assertEquals(100_000, ShardPattern.MAX_NAMES);
        assertEquals(100_000, ShardPattern.expand("{000000..099999}").size());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> ShardPattern.expand("s-{0..999999999999}.tar"));
        assertEquals("shard pattern \"s-{0..999999999999}.tar\": range {0..999999999999} names 1000000000000 shards, more than the "
                + "limit of 100000", range.getMessage());
        IllegalArgumentException product = assertThrows(IllegalArgumentException.class,
                () -> ShardPattern.expand("{0..999}/{0..999}.tar"));
        assertEquals("shard pattern \"{0..999}/{0..999}.tar\" names more than the limit of 100000 shards", product.getMessage());
    }
}
