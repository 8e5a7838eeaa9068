package dev.maws.label.segment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the hashtags of a caption, in order: '#' or the full-width '＃' followed by letters, marks,
 * digits or '_' (any script), not inside a word, URL or e-mail address; @mentions are not tags.
 * Each comes back with its CamelCase words and normalised: lowercase, trailing digits/years and
 * emoji dropped.
 */
public final class HashtagExtractor {
    private static final Pattern URL = Pattern.compile("(?i)\\b(?:https?://|www\\.)\\S+");
    private static final Pattern EMAIL = Pattern.compile("\\S+@\\S+\\.\\S+");
    private static final Pattern TAG = Pattern.compile("(?<![\\p{L}\\p{M}\\p{N}_&/#＃])[#＃]([\\p{L}\\p{M}\\p{N}_]+)");
    private static final Pattern CAMEL = Pattern.compile("(?<=\\p{Ll})(?=\\p{Lu})|(?<=\\p{Lu})(?=\\p{Lu}\\p{Ll})");

    /** A hashtag: as written (without '#'), normalised, and the words its CamelCase spelled out. */
    public record Hashtag(String raw, String normalized, List<String> camelWords) {}

    private final int maxTagLength;

    public HashtagExtractor(int maxTagLength) {
        this.maxTagLength = maxTagLength;
    }

    public List<Hashtag> extract(String caption) {
        String text = EMAIL.matcher(URL.matcher(caption).replaceAll(" ")).replaceAll(" ");
        List<Hashtag> tags = new ArrayList<>();
        Matcher m = TAG.matcher(text);
        while (m.find()) {
            String raw = m.group(1);
            if (raw.length() > maxTagLength) {
                continue; // no real tag is this long; it would only cost time to segment
            }
            String body = raw.replaceAll("_+$", "").replaceAll("\\p{N}+$", ""); // #beach2024 -> beach
            String normalized = body.replace("_", "").toLowerCase(Locale.ROOT);
            if (normalized.chars().noneMatch(Character::isLetter)) {
                continue; // #2024, #1
            }
            List<String> camel = new ArrayList<>();
            for (String part : body.split("_+")) {
                for (String w : CAMEL.split(part)) {
                    if (!w.isEmpty()) {
                        camel.add(w.toLowerCase(Locale.ROOT));
                    }
                }
            }
            tags.add(new Hashtag(raw, normalized, camel));
        }
        return tags;
    }

    /** Caption words outside hashtags, lowercase letters only, for sense choice in context. */
    public static List<String> words(String caption) {
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
