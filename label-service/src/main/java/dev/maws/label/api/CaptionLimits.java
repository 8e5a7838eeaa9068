package dev.maws.label.api;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import dev.maws.label.LabelConfig;

/** The one place the limits on incoming captions are checked; messages name the limit to fix. */
@ApplicationScoped
public class CaptionLimits {
    private final LabelConfig config;

    CaptionLimits(LabelConfig config) {
        this.config = config;
    }

    /** @throws IllegalArgumentException saying which caption breaks which limit */
    public void checkCaption(String caption, String where) {
        if (caption == null || caption.isBlank()) {
            throw new IllegalArgumentException(where + " is empty; send the caption text");
        }
        checkLength(caption, where);
    }

    /**
     * Only the length: an image posted without a caption is still an image (MAE trains on it), so a
     * CaptionRecord with a blank caption is labelled with no labels rather than refused.
     *
     * @throws IllegalArgumentException when the caption is longer than the limit
     */
    public void checkLength(String caption, String where) {
        if (caption.length() > config.maxCaptionLength()) {
            throw new IllegalArgumentException(where + " has " + caption.length() + " characters, more than"
                    + " maws.label.max-caption-length = " + config.maxCaptionLength());
        }
    }

    /** Class names to resolve: the same count limit as captions, each at most 200 characters. */
    public void checkTerms(List<String> terms) {
        if (terms == null || terms.isEmpty()) {
            throw new IllegalArgumentException("terms must be a non-empty list of class names");
        }
        checkCount(terms.size(), "terms");
        for (int i = 0; i < terms.size(); i++) {
            String t = terms.get(i);
            if (t == null || t.isBlank() || t.length() > 200) {
                throw new IllegalArgumentException("terms[" + i + "] must be 1-200 characters");
            }
        }
    }

    public void checkBatch(List<String> captions) {
        if (captions == null || captions.isEmpty()) {
            throw new IllegalArgumentException("captions must be a non-empty list of strings");
        }
        checkCount(captions.size(), "captions");
        for (int i = 0; i < captions.size(); i++) {
            checkCaption(captions.get(i), "captions[" + i + "]");
        }
    }

    private void checkCount(int count, String what) {
        if (count > config.maxCaptionsPerRequest()) {
            throw new IllegalArgumentException(count + " " + what + " in one request, more than"
                    + " maws.label.max-captions-per-request = " + config.maxCaptionsPerRequest());
        }
    }
}
