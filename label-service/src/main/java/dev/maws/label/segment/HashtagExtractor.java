package dev.maws.label.segment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Finds the hashtags of a caption, in order: '#' or the full-width '＃' followed by letters, marks,
 * digits or '_' (any script), not inside a word, URL or e-mail address; @mentions are not tags.
 * Each comes back with its CamelCase words and normalised: lowercase, trailing digits/years and
 * emoji dropped.
 *
 * <p>One hand-written pass over the code points instead of regular expressions: this runs for every
 * caption on the labelling hot path, and the regex version spent more time than the rest of the
 * pipeline together. The two regular expressions left (URLs, e-mail addresses) only run when a
 * caption has "://", "www." or '@' at all. {@code HashtagExtractorTest} checks this class against
 * the regular expressions it replaced, on random captions.
 */
public final class HashtagExtractor {
    private static final Pattern URL = Pattern.compile("(?i)\\b(?:https?://|www\\.)\\S+");

    /** A hashtag: as written (without '#') and normalised. */
    public record Hashtag(String raw, String normalized) {
        /**
         * The words its CamelCase or '_' spelled out, lowercase ("GoldenRetriever" -> golden, retriever).
         * Computed on each call: only a tag not yet in the labeller's cache needs them.
         */
        public List<String> camelWords() {
            String body = raw.substring(0, bodyEnd(raw));
            List<String> camel = new ArrayList<>(2);
            int wordStart = 0;
            for (int i = 0; i <= body.length();) {
                if (i == body.length() || body.charAt(i) == '_') {
                    addCamelWord(body, wordStart, i, camel);
                    wordStart = i + 1;
                    i++;
                    continue;
                }
                if (i > wordStart && camelBoundary(body, i)) {
                    addCamelWord(body, wordStart, i, camel);
                    wordStart = i;
                }
                i += Character.charCount(body.codePointAt(i));
            }
            return camel;
        }
    }

    /** A caption's hashtags and its words outside them. */
    public record Parsed(List<Hashtag> hashtags, List<String> words) {}

    private final int maxTagLength;

    public HashtagExtractor(int maxTagLength) {
        this.maxTagLength = maxTagLength;
    }

    public List<Hashtag> extract(String caption) {
        return parse(caption).hashtags();
    }

    /**
     * Hashtags (as {@link #extract}) and the words of more than two letters outside every '#tag'
     * (also outside tags too long or without letters), lowercase, split at anything not a letter.
     */
    public Parsed parse(String caption) {
        String text = withoutLinks(caption);
        List<Hashtag> tags = new ArrayList<>(8);
        List<String> words = new ArrayList<>(8);
        int n = text.length();
        int wordStart = -1;
        int i = 0;
        while (i < n) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if ((cp == '#' || cp == '＃') && (i == 0 || !glued(text.codePointBefore(i)))) {
                int end = next;
                while (end < n && tagChar(text.codePointAt(end))) {
                    end += Character.charCount(text.codePointAt(end));
                }
                if (end > next) { // a tag: it ends the current word and is no word itself
                    wordStart = addWord(text, wordStart, i, words);
                    addTag(text.substring(next, end), tags);
                    i = end;
                    continue;
                }
            }
            if (Character.isLetter(cp)) {
                wordStart = wordStart < 0 ? i : wordStart;
            } else {
                wordStart = addWord(text, wordStart, i, words);
            }
            i = next;
        }
        addWord(text, wordStart, n, words);
        return new Parsed(tags, words);
    }

    private static String withoutLinks(String caption) {
        String text = caption;
        if (text.contains("://") || containsIgnoreCase(text, "www.")) {
            text = URL.matcher(text).replaceAll(" ");
        }
        if (text.indexOf('@') >= 0) {
            text = withoutEmails(text);
        }
        return text;
    }

    /**
     * What {@code \S+@\S+\.\S+} replaced by " " did, in one pass: a run of non-blank characters with an
     * '@' after its first character and, after that, a '.' with a character on each side is an address.
     * The regular expression backtracked cubically: one 2,200-character caption of '@'s took 15 s.
     */
    static String withoutEmails(String text) {
        StringBuilder out = null;
        int copied = 0;
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (isRegexSpace(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            int at = -1;
            int lastDot = -1;
            int dotBefore = -1;
            for (i = start + 1; i < n && !isRegexSpace(text.charAt(i)); i++) {
                char c = text.charAt(i);
                if (c == '@' && at < 0) {
                    at = i;
                } else if (c == '.') {
                    dotBefore = lastDot;
                    lastDot = i;
                }
            }
            int dot = lastDot == i - 1 ? dotBefore : lastDot; // a '.' that ends the run has nothing after it
            if (at >= 0 && dot >= at + 2) {
                if (out == null) {
                    out = new StringBuilder(n);
                }
                out.append(text, copied, start).append(' ');
                copied = i;
            }
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    /** {@code \s} of java.util.regex without UNICODE_CHARACTER_CLASS. */
    private static boolean isRegexSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    /** {@code lowercase} starts with an ASCII letter; only where that letter occurs is the rest compared. */
    private static boolean containsIgnoreCase(String text, String lowercase) {
        char first = lowercase.charAt(0);
        char upper = Character.toUpperCase(first);
        for (int i = 0; i + lowercase.length() <= text.length(); i++) {
            char c = text.charAt(i);
            if ((c == first || c == upper) && text.regionMatches(true, i, lowercase, 0, lowercase.length())) {
                return true;
            }
        }
        return false;
    }

    /** A '#' after one of these is inside a word, an HTML entity ("&#39;"), a path or a "##". */
    private static boolean glued(int cp) {
        return tagChar(cp) || cp == '&' || cp == '/' || cp == '#' || cp == '＃';
    }

    /** Letters, marks, digits and '_': what a tag is made of. */
    private static boolean tagChar(int cp) {
        return Character.isLetter(cp) || isMark(cp) || isNumber(cp) || cp == '_';
    }

    private static boolean isMark(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK;
    }

    private static boolean isNumber(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    private static int addWord(String text, int start, int end, List<String> words) {
        if (start >= 0 && end - start > 2) {
            words.add(text.substring(start, end).toLowerCase(Locale.ROOT));
        }
        return -1;
    }

    private void addTag(String raw, List<Hashtag> tags) {
        if (raw.length() > maxTagLength) {
            return; // no real tag is this long; it would only cost time to segment
        }
        String body = raw.substring(0, bodyEnd(raw));
        String normalized = body.replace("_", "").toLowerCase(Locale.ROOT);
        if (!hasLetter(normalized)) {
            return; // #2024, #1
        }
        tags.add(new Hashtag(raw, normalized));
    }

    /** Where a tag's body ends: #beach2024 -> beach, trailing '_' first, then trailing digits. */
    private static int bodyEnd(String raw) {
        int end = raw.length();
        while (end > 0 && raw.charAt(end - 1) == '_') {
            end--;
        }
        while (end > 0 && isNumber(raw.codePointBefore(end))) {
            end -= Character.charCount(raw.codePointBefore(end));
        }
        return end;
    }

    private static boolean hasLetter(String s) {
        for (int i = 0; i < s.length();) {
            int cp = s.codePointAt(i);
            if (Character.isLetter(cp)) {
                return true;
            }
            i += Character.charCount(cp);
        }
        return false;
    }

    /**
     * A CamelCase word starts at {@code i}: after a lowercase letter before an uppercase one
     * ("Golden|Retriever"), or at the last capital of a run followed by lowercase ("IPhone" -> "I|Phone").
     */
    private static boolean camelBoundary(String s, int i) {
        int before = s.codePointBefore(i);
        int here = s.codePointAt(i);
        if (Character.getType(before) == Character.LOWERCASE_LETTER && Character.getType(here) == Character.UPPERCASE_LETTER) {
            return true;
        }
        if (Character.getType(before) != Character.UPPERCASE_LETTER || Character.getType(here) != Character.UPPERCASE_LETTER) {
            return false;
        }
        int after = i + Character.charCount(here);
        return after < s.length() && Character.getType(s.codePointAt(after)) == Character.LOWERCASE_LETTER;
    }

    private static void addCamelWord(String body, int start, int end, List<String> camel) {
        if (end > start) {
            camel.add(body.substring(start, end).toLowerCase(Locale.ROOT));
        }
    }
}
