package dev.maws.platform.corpus;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The members of one key as a shard is read: {@link #admit} says which members' bytes to read (those
 * within the limits and of use), {@link #accept} takes them, {@link #complete} decides. Every fault is
 * noted and the first in {@link SkipReason} order counts, so the reason does not depend on member order.
 */
final class PendingSample {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** A sample, or why there is none; {@code metadataDropped} counts members of a good sample left out. */
    record Outcome(CorpusSample sample, SkipReason reason, int metadataDropped) {
    }

    private final String key;
    private final CorpusLimits limits;
    /** {@link SkipReason#DUPLICATE_KEY} or {@link SkipReason#ALREADY_SEEN}, known at the first member; no data is read. */
    private final SkipReason refused;
    private final EnumSet<SkipReason> faults = EnumSet.noneOf(SkipReason.class);
    private final Set<String> extensions = new HashSet<>();
    private final Map<String, byte[]> metadata = new LinkedHashMap<>();
    private int metadataDropped;

    private boolean imageMember;
    private CorpusSample.Image image; // format still unknown: sniffed in complete()
    private boolean txtMember;
    private byte[] txt;
    private boolean jsonMember;
    private byte[] json;

    PendingSample(String key, CorpusLimits limits, SkipReason refused) {
        this.key = key;
        this.limits = limits;
        this.refused = refused;
    }

    String key() {
        return key;
    }

    /**
     * How many bytes of this member to read (its whole size), or -1 to skip its data.
     *
     * @param plainFile false for links, devices, FIFOs and sparse files
     */
    int admit(MemberName name, long size, boolean plainFile) {
        if (refused != null) {
            return -1;
        }
        if (!extensions.add(name.extension())) {
            faults.add(SkipReason.CONFLICTING_MEMBERS);
            return -1;
        }
        if (!plainFile) {
            faults.add(SkipReason.UNSUPPORTED_MEMBER);
            return -1;
        }
        if (name.isImage()) {
            if (imageMember) {
                faults.add(SkipReason.CONFLICTING_MEMBERS);
                return -1;
            }
            imageMember = true;
            return within(size, limits.maxImageBytes(), SkipReason.IMAGE_TOO_LARGE);
        }
        switch (name.extension()) {
            case "txt":
                txtMember = true;
                return within(size, limits.maxCaptionBytes(), SkipReason.CAPTION_TOO_LONG);
            case "json":
                jsonMember = true; // too long is a fault only if no txt gives the caption
                return size <= limits.maxCaptionBytes() ? (int) size : -1;
            default:
                if (size > limits.maxMetadataBytes() || metadata.size() >= limits.maxMetadataMembers()) {
                    metadataDropped++;
                    return -1;
                }
                return (int) size;
        }
    }

    private int within(long size, int limit, SkipReason over) {
        if (size > limit) {
            faults.add(over);
            return -1;
        }
        return (int) size;
    }

    /** The data of a member that {@link #admit} asked for; {@code offset} is where it starts in the tar. */
    void accept(MemberName name, long offset, byte[] data) {
        if (name.isImage()) {
            image = new CorpusSample.Image(name.extension(), null, offset, data.length, data);
        } else if (name.extension().equals("txt")) {
            txt = data;
        } else if (name.extension().equals("json")) {
            json = data;
        } else {
            metadata.put(name.extension(), data);
        }
    }

    Outcome complete(String shard) {
        if (refused != null) {
            return new Outcome(null, refused, 0);
        }
        EnumSet<SkipReason> all = EnumSet.copyOf(faults);
        if (!imageMember) {
            all.add(txtMember || jsonMember ? SkipReason.CAPTION_WITHOUT_IMAGE : SkipReason.ORPHAN_MEMBERS);
        }
        String caption = caption(all);
        Optional<ImageFormat> format = image == null ? Optional.empty() : ImageFormat.sniff(image.bytes());
        if (image != null && format.isEmpty()) {
            all.add(SkipReason.NOT_AN_IMAGE);
        } else if (image != null && !format.get().complete(image.bytes())) {
            all.add(SkipReason.TRUNCATED_IMAGE);
        }
        if (caption != null && caption.isEmpty()) {
            all.add(SkipReason.EMPTY_CAPTION);
        }
        if (!all.isEmpty()) {
            return new Outcome(null, all.iterator().next(), 0);
        }
        if (txtMember && json != null) {
            if (json.length <= limits.maxMetadataBytes() && metadata.size() < limits.maxMetadataMembers()) {
                metadata.put("json", json);
            } else {
                metadataDropped++;
            }
        } else if (txtMember && jsonMember) {
            metadataDropped++; // a json member over the caption limit
        }
        CorpusSample.Image sniffed = new CorpusSample.Image(image.extension(), format.get(), image.offset(), image.length(),
                image.bytes());
        return new Outcome(new CorpusSample(shard, key, caption, sniffed, Collections.unmodifiableMap(metadata)), null,
                metadataDropped);
    }

    /** The stripped caption, or null with the reason noted in {@code faults}. */
    private String caption(EnumSet<SkipReason> faults) {
        if (txtMember) {
            return txt == null ? null : decode(txt, faults);
        }
        if (!jsonMember) {
            if (imageMember) {
                faults.add(SkipReason.IMAGE_WITHOUT_CAPTION);
            }
            return null;
        }
        if (json == null) {
            faults.add(SkipReason.CAPTION_TOO_LONG);
            return null;
        }
        String text = decode(json, faults);
        if (text == null) {
            return null;
        }
        JsonNode caption;
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || !root.isObject()) {
                faults.add(SkipReason.MALFORMED_JSON);
                return null;
            }
            caption = root.get("caption");
        } catch (java.io.IOException e) {
            faults.add(SkipReason.MALFORMED_JSON);
            return null;
        }
        if (caption == null) {
            faults.add(SkipReason.IMAGE_WITHOUT_CAPTION);
            return null;
        }
        if (!caption.isTextual()) {
            faults.add(SkipReason.MALFORMED_JSON);
            return null;
        }
        return caption.textValue().strip();
    }

    /** Strict UTF-8 (malformed or unmappable input is an error, never a replacement character), stripped. */
    private static String decode(byte[] bytes, EnumSet<SkipReason> faults) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString().strip();
        } catch (CharacterCodingException e) {
            faults.add(SkipReason.INVALID_UTF8);
            return null;
        }
    }
}
