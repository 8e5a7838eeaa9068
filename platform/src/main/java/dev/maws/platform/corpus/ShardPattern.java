package dev.maws.platform.corpus;

import java.util.ArrayList;
import java.util.List;

/**
 * Brace patterns naming shards, as webdataset's {@code braceexpand} reads them:
 * {@code shard-{00000..00099}.tar} (a range of non-negative integers, zero-padded to the wider bound
 * when either bound has a leading zero; descending when the first bound is larger) and
 * {@code {train,val}/part.tar} (a list; items may be empty). Several groups expand left to right
 * ({@code {a,b}-{0..1}} is {@code a-0, a-1, b-0, b-1}). Nesting is not supported.
 */
public final class ShardPattern {
    /** Most names one pattern may expand to (all groups together): more shards than any corpus needs. */
    public static final int MAX_NAMES = 100_000;

    private ShardPattern() {
    }

    /** True when {@code text} has a brace, i.e. should be expanded rather than taken literally. */
    public static boolean isPattern(String text) {
        return text.indexOf('{') >= 0 || text.indexOf('}') >= 0;
    }

    /**
     * The names {@code pattern} expands to, in order.
     *
     * @throws IllegalArgumentException naming the fault: unbalanced or nested braces, an empty group, a
     *     group of one item, a malformed range, or more than {@link #MAX_NAMES} names
     */
    public static List<String> expand(String pattern) {
        List<String> names = List.of("");
        int i = 0;
        while (i < pattern.length()) {
            int open = pattern.indexOf('{', i);
            int strayClose = pattern.indexOf('}', i);
            if (strayClose >= 0 && (open < 0 || strayClose < open)) {
                throw malformed(pattern, "'}' at " + strayClose + " closes no '{'");
            }
            if (open < 0) {
                names = append(names, List.of(pattern.substring(i)), pattern);
                break;
            }
            int close = pattern.indexOf('}', open);
            if (close < 0) {
                throw malformed(pattern, "'{' at " + open + " is not closed");
            }
            String body = pattern.substring(open + 1, close);
            if (body.indexOf('{') >= 0) {
                throw malformed(pattern, "nested braces are not supported");
            }
            names = append(names, List.of(pattern.substring(i, open)), pattern);
            names = append(names, group(body, pattern), pattern);
            i = close + 1;
        }
        return names;
    }

    private static List<String> group(String body, String pattern) {
        if (body.isEmpty()) {
            throw malformed(pattern, "'{}' is empty");
        }
        int dots = body.indexOf("..");
        if (dots >= 0) {
            return range(body.substring(0, dots), body.substring(dots + 2), pattern);
        }
        if (body.indexOf(',') < 0) {
            throw malformed(pattern, "'{" + body + "}' is neither a range {A..B} nor a list {a,b}");
        }
        return List.of(body.split(",", -1));
    }

    private static List<String> range(String from, String to, String pattern) {
        if (!isNumber(from) || !isNumber(to)) {
            throw malformed(pattern, "range '{" + from + ".." + to + "}' needs two non-negative integers");
        }
        long a = Long.parseLong(from);
        long b = Long.parseLong(to);
        long count = Math.abs(b - a) + 1;
        if (count > MAX_NAMES) {
            throw new IllegalArgumentException("shard pattern \"" + pattern + "\": range {" + from + ".." + to + "} names "
                    + count + " shards, more than the limit of " + MAX_NAMES);
        }
        boolean padded = from.length() > 1 && from.charAt(0) == '0' || to.length() > 1 && to.charAt(0) == '0';
        int width = padded ? Math.max(from.length(), to.length()) : 0;
        List<String> out = new ArrayList<>((int) count);
        long step = a <= b ? 1 : -1;
        for (long n = a;; n += step) {
            String digits = Long.toString(n);
            out.add(digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits);
            if (n == b) {
                return out;
            }
        }
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static List<String> append(List<String> prefixes, List<String> suffixes, String pattern) {
        long count = (long) prefixes.size() * suffixes.size();
        if (count > MAX_NAMES) {
            throw new IllegalArgumentException("shard pattern \"" + pattern + "\" names more than the limit of " + MAX_NAMES
                    + " shards");
        }
        List<String> out = new ArrayList<>((int) count);
        for (String p : prefixes) {
            for (String s : suffixes) {
                out.add(p + s);
            }
        }
        return out;
    }

    private static IllegalArgumentException malformed(String pattern, String why) {
        return new IllegalArgumentException("malformed shard pattern \"" + pattern + "\": " + why);
    }
}
