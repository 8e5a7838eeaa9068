package dev.maws.platform.corpus;

/**
 * What a corpus reader holds in memory for one sample, and how much of a skip it reports. A member
 * over its limit is refused from its tar header alone: its bytes are skipped, never read.
 *
 * @param maxImageBytes largest image member accepted (default 16 MiB: a 40-megapixel JPEG is ~10 MB;
 *     the decoder refuses large pixel counts later)
 * @param maxCaptionBytes largest {@code txt} caption, or {@code json} member read for its caption
 *     (default 64 KiB; web captions are under 1 KiB)
 * @param maxMetadataBytes largest other member kept as metadata (default 4 KiB); larger ones are
 *     dropped and counted
 * @param maxMetadataMembers most other members kept per sample (default 8); further ones are
 *     dropped and counted
 * @param examplesPerReason keys kept as examples per skip reason, per shard and per corpus (default 5)
 */
public record CorpusLimits(int maxImageBytes, int maxCaptionBytes, int maxMetadataBytes, int maxMetadataMembers,
        int examplesPerReason) {
    public static final CorpusLimits DEFAULTS = new CorpusLimits(16 << 20, 64 << 10, 4 << 10, 8, 5);

    public CorpusLimits {
        if (maxImageBytes < 1 || maxCaptionBytes < 1 || maxMetadataBytes < 0 || maxMetadataMembers < 0
                || examplesPerReason < 0) {
            throw new IllegalArgumentException("corpus limits must be positive (metadata and examples may be 0): " + maxImageBytes
                    + ", " + maxCaptionBytes + ", " + maxMetadataBytes + ", " + maxMetadataMembers + ", " + examplesPerReason);
        }
    }

    public CorpusLimits withMaxImageBytes(int bytes) {
        return new CorpusLimits(bytes, maxCaptionBytes, maxMetadataBytes, maxMetadataMembers, examplesPerReason);
    }

    public CorpusLimits withMaxCaptionBytes(int bytes) {
        return new CorpusLimits(maxImageBytes, bytes, maxMetadataBytes, maxMetadataMembers, examplesPerReason);
    }
}
