package dev.maws.platform.objectstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** {@link ObjectStore#checkKey} against the regular expression and split it replaced, on random keys. */
class ObjectKeyTest {
    private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9!_.*'()\\-]+(/[A-Za-z0-9!_.*'()\\-]+)*/?");

    @Test
    void acceptsAndRefusesWhatTheRegularExpressionDid() {
        String[] pieces = {"a", "Z", "0", "9", "!", "_", ".", "..", "*", "'", "(", ")", "-", "/", "//", " ", "\\", "é", "#", "?",
            "%", "~", "images", "x.png", "\u0000"};
        SplittableRandom random = new SplittableRandom(11);
        int accepted = 0;
        for (int k = 0; k < 100_000; k++) {
            StringBuilder b = new StringBuilder();
            for (int n = 1 + random.nextInt(8); n > 0; n--) {
                b.append(pieces[random.nextInt(pieces.length)]);
            }
            String key = b.toString();
            String expected = reference(key);
            String actual;
            try {
                actual = ObjectStore.checkKey(key);
            } catch (IllegalArgumentException e) {
                actual = e.getMessage();
            }
            assertEquals(expected, actual, key);
            accepted += expected.equals(key) ? 1 : 0;
        }
        // both outcomes common enough for the comparison to mean something
        assertTrue(accepted > 5_000 && accepted < 95_000, "accepted " + accepted + " of 100,000");
    }

    /** The key, or the message of the refusal, as the regular-expression version gave them. */
    private static String reference(String key) {
        if (!SAFE_KEY.matcher(key).matches()) {
            return "object key \"" + key + "\" must be path segments of letters, digits and !_.*'()- separated by single '/'";
        }
        for (String segment : key.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return "object key \"" + key + "\" must not contain '.' or '..' segments";
            }
        }
        return key;
    }
}
