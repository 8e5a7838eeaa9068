package dev.maws.label.wordnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.maws.label.TestWordNet;

class AncestryTest {
    private static final WordNetIndex WORDNET = TestWordNet.INDEX;

    @Test
    void theDeepestSharedAncestorByRootPathsIsTheDeepestOfBothAncestorSets() {
        List<Integer> all = new ArrayList<>();
        for (int offset = 0; offset < 16_000_000; offset++) {
            if (WORDNET.exists(offset)) {
                all.add(offset);
            }
        }
        assertTrue(all.size() > 80_000, "WordNet 3.0 has 82,115 noun synsets, found " + all.size());
        // every synset, against others drawn at random and against its own relatives (which share deep
        // ancestors: the case the paths must get right)
        SplittableRandom random = new SplittableRandom(5);
        int shared = 0;
        for (int a : all) {
            WordNetIndex.Ancestry mine = WORDNET.ancestry(a);
            List<Integer> others = new ArrayList<>(List.of(a, all.get(random.nextInt(all.size()))));
            for (int h : WORDNET.hypernyms(a)) {
                others.add(h);
                for (int g : WORDNET.hypernyms(h)) {
                    others.add(g);
                }
            }
            for (int b : others) {
                WordNetIndex.Ancestry theirs = WORDNET.ancestry(b);
                int expected = deepestShared(a, b);
                assertEquals(expected, mine.lowestCommonDepth(theirs), a + " and " + b);
                assertEquals(expected, theirs.lowestCommonDepth(mine), b + " and " + a);
                shared += expected > 2 ? 1 : 0;
            }
        }
        assertTrue(shared > 100_000, "too few pairs with a deep shared ancestor to mean anything: " + shared);
    }

    /** The definition: the deepest synset among those both have as ancestor (or are). */
    private static int deepestShared(int a, int b) {
        Set<Integer> mine = ancestors(a);
        int best = -1;
        for (int x : ancestors(b)) {
            if (mine.contains(x)) {
                best = Math.max(best, WORDNET.depth(x));
            }
        }
        return best;
    }

    private static Set<Integer> ancestors(int offset) {
        Set<Integer> all = new HashSet<>();
        Deque<Integer> todo = new ArrayDeque<>(List.of(offset));
        while (!todo.isEmpty()) {
            int o = todo.pop();
            if (all.add(o)) {
                for (int h : WORDNET.hypernyms(o)) {
                    todo.push(h);
                }
            }
        }
        return all;
    }

    @Test
    void aDogAndACatShareCarnivore() {
        int dog = WordNetIndex.offset("n02084071");
        int cat = WordNetIndex.offset("n02121620");
        int carnivore = WordNetIndex.offset("n02075296");
        assertEquals(WORDNET.depth(carnivore), WORDNET.ancestry(dog).lowestCommonDepth(WORDNET.ancestry(cat)));
        // depths are shortest paths from the root: dog's is short through domestic_animal, so its
        // hypernym canine is deeper than the dog itself, and the deepest thing a dog shares with itself
        int canine = WordNetIndex.offset("n02083346");
        assertTrue(WORDNET.depth(canine) > WORDNET.depth(dog));
        assertEquals(WORDNET.depth(canine), WORDNET.ancestry(dog).lowestCommonDepth(WORDNET.ancestry(dog)));
    }
}
