package dev.maws.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Simulated social-media captions for Fashion-MNIST images: the weak supervision of the local
 * pipeline. The noise model, per image of true class c, every draw from one {@link SplittableRandom}
 * seeded with (seed, image index):
 * <ul>
 * <li>with probability {@code p} a hashtag of class c, in one of its surface forms: the plain tag,
 * synonyms ({@code #teeshirt}), plurals, CamelCase ({@code #AnkleBoots}), tags glued to other words
 * ({@code #wintercoat}, {@code #dressoftheday}) — each form is one a person might post and one that
 * WordNet maps to the class's synset (checked by the generator's test with the real labeller);</li>
 * <li>independently, with probability {@code q} a hashtag of a different class, chosen uniformly;</li>
 * <li>0 to 3 generic tags that name nothing visual ({@code #ootd}, {@code #style}, {@code #love}, ...),
 * a few plain words, sometimes an emoji, an @mention or a link; the order is shuffled.</li>
 * </ul>
 * So an image has the right label with probability p, a wrong one with probability q, none with
 * probability (1-p)(1-q). The evaluation labels never pass through captions.
 */
public final class CaptionGenerator {
    /** Surface forms of each class's hashtag, in Fashion-MNIST label order. */
    static final List<List<String>> FORMS = List.of(
            List.of("tshirt", "tshirts", "TShirt", "teeshirt", "teeshirts", "tshirtoftheday", "mytshirt"),
            List.of("trousers", "Trousers", "trouser", "newtrousers"),
            List.of("pullover", "pullovers", "Pullover", "cozypullover"),
            List.of("dress", "dresses", "Dress", "dressoftheday", "redDress", "dress2024"),
            List.of("coat", "coats", "Coat", "wintercoat"),
            List.of("sandals", "Sandals", "sandal", "summersandals"),
            List.of("shirt", "shirts", "whiteshirt", "shirtstyle"),
            List.of("sneakers", "sneaker", "tennisshoes", "tennisshoe"),
            List.of("bag", "bags", "newbag", "bagsofinstagram"),
            List.of("boots", "ankleboots", "AnkleBoots", "blackboots"));
    static final List<String> GENERIC = List.of("ootd", "style", "fashion", "love", "instagood", "photooftheday", "tbt",
            "nofilter", "weekend");
    static final List<String> WORDS = List.of("loving", "my", "new", "look", "today", "so", "happy", "with", "this",
            "finally", "got", "it", "what", "do", "you", "think", "sale", "find");
    static final List<String> EMOJI = List.of("😍", "🔥", "✨", "👌", "💯");

    /** What the captions are made of: p, q and the seed. */
    public record Noise(double p, double q, long seed) {
        public Noise {
            if (!(p >= 0 && p <= 1 && q >= 0 && q <= 1)) { // NaN too
                throw new IllegalArgumentException("p and q are probabilities, got p=" + p + ", q=" + q);
            }
        }
    }

    private final Noise noise;

    public CaptionGenerator(Noise noise) {
        this.noise = noise;
    }

    /** The caption of image {@code index} of true class {@code label} (the same every time). */
    public String caption(int index, int label) {
        // SplittableRandom mixes its seed: java.util.Random's first draws of neighbouring seeds are nearly equal
        SplittableRandom r = new SplittableRandom(noise.seed() * 1_000_003L + index);
        List<String> parts = new ArrayList<>();
        if (r.nextDouble() < noise.p()) {
            parts.add("#" + pick(FORMS.get(label), r));
        }
        if (r.nextDouble() < noise.q()) {
            int wrong = (label + 1 + r.nextInt(FORMS.size() - 1)) % FORMS.size();
            parts.add("#" + pick(FORMS.get(wrong), r));
        }
        for (int g = r.nextInt(4); g > 0; g--) {
            parts.add("#" + pick(GENERIC, r));
        }
        for (int w = 1 + r.nextInt(4); w > 0; w--) {
            parts.add(pick(WORDS, r));
        }
        if (r.nextDouble() < 0.3) {
            parts.add(pick(EMOJI, r));
        }
        if (r.nextDouble() < 0.1) {
            parts.add("@shop" + r.nextInt(100));
        }
        if (r.nextDouble() < 0.05) {
            parts.add("https://example.com/p/" + r.nextInt(10_000));
        }
        for (int i = parts.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            parts.set(i, parts.set(j, parts.get(i)));
        }
        return String.join(" ", parts);
    }

    private static String pick(List<String> from, SplittableRandom r) {
        return from.get(r.nextInt(from.size()));
    }
}
