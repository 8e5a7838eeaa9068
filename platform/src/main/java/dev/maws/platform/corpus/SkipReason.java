package dev.maws.platform.corpus;

/**
 * Why a sample (the members of one key) was not read. One reason per sample: where several apply,
 * the first in this order is counted. {@link #CORRUPT_TAR} and {@link #TRUNCATED_TAR} count shards
 * cut short instead: the sample in progress and whatever followed are lost, and how many samples
 * that was cannot be known.
 */
public enum SkipReason {
    /** The key appeared before in this read (earlier in the shard or in an earlier shard): the first is kept. */
    DUPLICATE_KEY,
    /** The caller's predicate says the key was already taken (a restarted import): not a fault. */
    ALREADY_SEEN,
    /** The tar cannot be parsed from here on (bad header checksum, bad field): the rest of the shard is lost. */
    CORRUPT_TAR,
    /** The tar ends early (inside a header or a member, or without the end-of-archive marker): the rest is lost. */
    TRUNCATED_TAR,
    /** A member of the key is a link, device, FIFO or sparse file: it has no data of its own at an offset. */
    UNSUPPORTED_MEMBER,
    /** Two images, or two members with the same extension, under one key. */
    CONFLICTING_MEMBERS,
    /** The image member is larger than {@link CorpusLimits#maxImageBytes()}. */
    IMAGE_TOO_LARGE,
    /** The caption member ({@code txt}, or {@code json} read for its caption) is larger than {@link CorpusLimits#maxCaptionBytes()}. */
    CAPTION_TOO_LONG,
    /** A {@code txt} or {@code json} member with no image under its key. */
    CAPTION_WITHOUT_IMAGE,
    /** Only members that are neither image nor caption under the key. */
    ORPHAN_MEMBERS,
    /** An image with no {@code txt} and no {@code json} holding a {@code caption} field. */
    IMAGE_WITHOUT_CAPTION,
    /** The image member's bytes start with no JPEG, PNG or WebP signature. */
    NOT_AN_IMAGE,
    /** The image ends before its format's end (JPEG without an end-of-image marker after its last scan, PNG without IEND, WebP shorter than its RIFF size). */
    TRUNCATED_IMAGE,
    /** The caption member is not valid UTF-8 (strict decoding). */
    INVALID_UTF8,
    /** The {@code json} caption member is not a JSON object, or its {@code caption} field is not a string. */
    MALFORMED_JSON,
    /** The caption is empty or only white space. */
    EMPTY_CAPTION
}
