package dev.maws.model.vit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shape of a ViT and its MAE decoder. Presets are the factory methods at the bottom, as in MAE's
 * {@code mae_vit_base_patch16}; {@link #validate()} lists every problem of a custom config at once.
 */
public record VitConfig(
        String name,
        int imageSize,
        int patchSize,
        int channels,
        int width,
        int depth,
        int heads,
        double mlpRatio,
        int decoderWidth,
        int decoderDepth,
        int decoderHeads,
        Pooling pooling) {

    /** Which token summarises an image: the cls token or the mean of the patch tokens. */
    public enum Pooling {
        CLS, MEAN;

        public static Pooling parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("pooling must be \"cls\" or \"mean\", got \"" + s + "\"");
            }
        }
    }

    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Patches per image, L. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Pixels per patch, p*p*C: the MAE prediction target width. */
    public int patchDim() {
        return patchSize * patchSize * channels;
    }

    public int mlpHidden() {
        return (int) Math.round(width * mlpRatio);
    }

    /** Every problem of this config, empty when it is usable. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        positive(p, "image_size", imageSize);
        positive(p, "patch_size", patchSize);
        positive(p, "width", width);
        positive(p, "depth", depth);
        positive(p, "heads", heads);
        positive(p, "decoder_width", decoderWidth);
        positive(p, "decoder_depth", decoderDepth);
        positive(p, "decoder_heads", decoderHeads);
        if (channels != 1 && channels != 3) {
            p.add("channels must be 1 or 3, got " + channels);
        }
        if (imageSize > 0 && patchSize > 0 && imageSize % patchSize != 0) {
            p.add("patch_size " + patchSize + " must divide image_size " + imageSize);
        }
        if (width > 0 && heads > 0 && width % heads != 0) {
            p.add("heads " + heads + " must divide width " + width);
        }
        if (decoderWidth > 0 && decoderHeads > 0 && decoderWidth % decoderHeads != 0) {
            p.add("decoder_heads " + decoderHeads + " must divide decoder_width " + decoderWidth);
        }
        // 2-D sin-cos position embeddings split the width in four (sin/cos of rows and of columns).
        if (width > 0 && width % 4 != 0) {
            p.add("width must be a multiple of 4 (sin-cos position embeddings), got " + width);
        }
        if (decoderWidth > 0 && decoderWidth % 4 != 0) {
            p.add("decoder_width must be a multiple of 4 (sin-cos position embeddings), got " + decoderWidth);
        }
        if (!(mlpRatio > 0) || mlpRatio > 16) {
            p.add("mlp_ratio must be in (0, 16], got " + mlpRatio);
        }
        if (pooling == null) {
            p.add("pooling must be cls or mean");
        }
        return p;
    }

    /** @throws IllegalArgumentException listing every problem */
    public VitConfig validate() {
        List<String> p = problems();
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("invalid model config " + name + ": " + String.join("; ", p));
        }
        return this;
    }

    private static void positive(List<String> p, String field, int v) {
        if (v <= 0) {
            p.add(field + " must be > 0, got " + v);
        }
    }

    public VitConfig withPooling(Pooling pooling) {
        return new VitConfig(name, imageSize, patchSize, channels, width, depth, heads, mlpRatio, decoderWidth,
                decoderDepth, decoderHeads, pooling);
    }

    // --- presets ------------------------------------------------------------------------------

    /** Fashion-MNIST scale: 28x28 grayscale, patch 4 (49 patches), width 192, depth 6, 3 heads. */
    public static VitConfig tiny28() {
        return new VitConfig("tiny-28", 28, 4, 1, 192, 6, 3, 4.0, 96, 2, 3, Pooling.CLS);
    }

    public static VitConfig vitS16() {
        return new VitConfig("vit-s/16", 224, 16, 3, 384, 12, 6, 4.0, 256, 4, 8, Pooling.CLS);
    }

    public static VitConfig vitB16() {
        return new VitConfig("vit-b/16", 224, 16, 3, 768, 12, 12, 4.0, 512, 8, 16, Pooling.CLS);
    }

    public static VitConfig vitL16() {
        return new VitConfig("vit-l/16", 224, 16, 3, 1024, 24, 16, 4.0, 512, 8, 16, Pooling.CLS);
    }

    public static VitConfig vitH14() {
        return new VitConfig("vit-h/14", 224, 14, 3, 1280, 32, 16, 4.0, 512, 8, 16, Pooling.CLS);
    }

    /** The preset called {@code name}: tiny-28, vit-s/16, vit-b/16, vit-l/16, vit-h/14. */
    public static VitConfig preset(String name) {
        return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "tiny-28" -> tiny28();
            case "vit-s/16" -> vitS16();
            case "vit-b/16" -> vitB16();
            case "vit-l/16" -> vitL16();
            case "vit-h/14" -> vitH14();
            default -> throw new IllegalArgumentException("unknown model preset \"" + name
                    + "\"; presets: tiny-28, vit-s/16, vit-b/16, vit-l/16, vit-h/14");
        };
    }
}
