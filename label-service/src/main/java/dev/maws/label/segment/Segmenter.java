package dev.maws.label.segment;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import dev.maws.label.wordnet.WordNetIndex;

/**
 * Splits a concatenated hashtag into words by dynamic programming over WordNet: every split point is
 * tried, each piece costs according to what it is (a noun lemma or its plural — cheaper the more
 * often WordNet's sense-tagged corpus saw it; a function word; a generic social-media tag; another
 * WordNet word; or an unknown chunk, priced by length), and the cheapest split wins. A fixed price
 * per piece makes a whole compound ("greatwhiteshark" -> great_white_shark) beat its parts.
 */
public final class Segmenter {
    public enum Kind { NOUN, FUNCTION, GENERIC, OTHER_WORD, UNKNOWN }

    /** One piece of a tag; {@code surface} is set for nouns. */
    public record Segment(String text, Kind kind, WordNetIndex.Surface surface) {}

    public record Segmentation(List<Segment> segments, double cost) {
        /** The last noun piece: the head of an English compound ("ankleboots" -> boots). */
        public Segment head() {
            for (int i = segments.size() - 1; i >= 0; i--) {
                if (segments.get(i).kind() == Kind.NOUN) {
                    return segments.get(i);
                }
            }
            return null;
        }
    }

    // Words that glue tags together ("dogsofinstagram") and never become labels.
    static final Set<String> FUNCTION_WORDS = Set.of("a", "an", "the", "of", "in", "on", "at", "to", "for", "with",
            "and", "or", "my", "our", "your", "his", "her", "their", "its", "is", "are", "be", "by", "from", "this", "that",
            "me", "we", "you", "i", "it", "so", "all", "no", "not", "day", "time", "life", "new", "best", "good", "happy");
    // Generic social-media tags: frequent, never visual.
    static final Set<String> GENERIC_TAGS = Set.of("instagram", "insta", "instagood", "instadaily", "instalike", "ig",
            "photooftheday", "picoftheday", "photo", "pic", "pics", "tbt", "ootd", "style", "love", "like", "likes", "follow",
            "followme", "like4like", "l4l", "f4f", "fff", "lfl", "selfie", "fashion", "beautiful", "cute", "fun", "nofilter",
            "vsco", "vscocam", "explore", "explorepage", "viral", "trending", "repost", "mood", "vibes", "goals", "weekend",
            "summer", "today", "daily", "photography", "photographer", "amazing", "awesome", "lol", "omg", "yolo", "blessed");

    private static final double NOUN_COST = 10;
    private static final double SHORT_NOUN_PENALTY = 4; // two-letter nouns are mostly abbreviations
    private static final double INFLECTED_PENALTY = 0.3;
    private static final double FUNCTION_COST = 6;
    private static final double GENERIC_COST = 6;
    private static final double OTHER_WORD_COST = 11;
    private static final double UNKNOWN_COST = 14;
    private static final double UNKNOWN_PER_CHAR = 1.0;

    private final WordNetIndex wordNet;

    public Segmenter(WordNetIndex wordNet) {
        this.wordNet = wordNet;
    }

    /**
     * The cheapest split of a normalised tag; with runs of three or more equal letters
     * ("cuteeee", "sooo") the collapsed spellings compete too.
     */
    public Segmentation segment(String tag) {
        Segmentation best = split(tag);
        if (hasLongRun(tag) && !allKnown(best)) {
            for (String variant : new String[] {collapse(tag, 2), collapse(tag, 1)}) {
                Segmentation s = split(variant);
                if (s.cost() < best.cost()) {
                    best = s;
                }
            }
        }
        return best;
    }

    private Segmentation split(String tag) {
        int n = tag.length();
        double[] cost = new double[n + 1];
        int[] from = new int[n + 1];
        Segment[] piece = new Segment[n + 1];
        java.util.Arrays.fill(cost, Double.POSITIVE_INFINITY);
        cost[0] = 0;
        int maxKnown = Math.max(wordNet.maxSpellingLength(), 20);
        for (int i = 1; i <= n; i++) {
            for (int j = i - 1; j >= 0; j--) {
                if (cost[j] == Double.POSITIVE_INFINITY) {
                    continue;
                }
                String sub = tag.substring(j, i);
                Segment s = i - j <= maxKnown ? known(sub) : null;
                double c = s == null ? Double.POSITIVE_INFINITY : price(s);
                double unknown = UNKNOWN_COST + UNKNOWN_PER_CHAR * (i - j);
                if (unknown < c) {
                    s = new Segment(sub, Kind.UNKNOWN, null);
                    c = unknown;
                }
                if (cost[j] + c < cost[i]) {
                    cost[i] = cost[j] + c;
                    from[i] = j;
                    piece[i] = s;
                }
            }
        }
        List<Segment> segments = new ArrayList<>();
        for (int i = n; i > 0; i = from[i]) {
            segments.add(piece[i]);
        }
        Collections.reverse(segments);
        return new Segmentation(merge(segments), cost[n]);
    }

    private Segment known(String sub) {
        if (FUNCTION_WORDS.contains(sub)) {
            return new Segment(sub, Kind.FUNCTION, null);
        }
        if (GENERIC_TAGS.contains(sub)) {
            return new Segment(sub, Kind.GENERIC, null);
        }
        List<WordNetIndex.Surface> nouns = sub.length() >= 2 ? wordNet.nouns(sub) : List.of();
        if (!nouns.isEmpty()) {
            return new Segment(sub, Kind.NOUN, nouns.get(0));
        }
        if (sub.length() >= 3 && wordNet.isOtherWord(sub)) {
            return new Segment(sub, Kind.OTHER_WORD, null);
        }
        return null;
    }

    private static double price(Segment s) {
        return switch (s.kind()) {
            case NOUN -> NOUN_COST - 0.5 * Math.log1p(s.surface().lemma().totalCount())
                    + (s.text().length() == 2 ? SHORT_NOUN_PENALTY : 0)
                    + (s.surface().inflected() ? INFLECTED_PENALTY : 0);
            case FUNCTION -> FUNCTION_COST;
            case GENERIC -> GENERIC_COST;
            case OTHER_WORD -> OTHER_WORD_COST;
            case UNKNOWN -> UNKNOWN_COST + UNKNOWN_PER_CHAR * s.text().length();
        };
    }

    /** Adjacent unknown pieces are one unknown piece. */
    private static List<Segment> merge(List<Segment> segments) {
        List<Segment> out = new ArrayList<>(segments.size());
        for (Segment s : segments) {
            Segment last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.kind() == Kind.UNKNOWN && s.kind() == Kind.UNKNOWN) {
                out.set(out.size() - 1, new Segment(last.text() + s.text(), Kind.UNKNOWN, null));
            } else {
                out.add(s);
            }
        }
        return out;
    }

    private static boolean allKnown(Segmentation s) {
        return s.segments().stream().noneMatch(x -> x.kind() == Kind.UNKNOWN);
    }

    private static boolean hasLongRun(String s) {
        for (int i = 2; i < s.length(); i++) {
            if (s.charAt(i) == s.charAt(i - 1) && s.charAt(i) == s.charAt(i - 2)) {
                return true;
            }
        }
        return false;
    }

    /** Runs of three or more equal letters cut to {@code keep}. */
    static String collapse(String s, int keep) {
        StringBuilder b = new StringBuilder(s.length());
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            run = i > 0 && s.charAt(i) == s.charAt(i - 1) ? run + 1 : 1;
            if (run <= keep || !runOfThree(s, i)) {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }

    /** True when position i belongs to a run of at least three equal characters. */
    private static boolean runOfThree(String s, int i) {
        int start = i;
        while (start > 0 && s.charAt(start - 1) == s.charAt(i)) {
            start--;
        }
        int end = i;
        while (end + 1 < s.length() && s.charAt(end + 1) == s.charAt(i)) {
            end++;
        }
        return end - start + 1 >= 3;
    }
}
