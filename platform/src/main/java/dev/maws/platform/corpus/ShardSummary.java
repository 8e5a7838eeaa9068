package dev.maws.platform.corpus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What reading one shard gave: every key is either a sample read or a sample skipped for one
 * reason. JSON-serialisable as it is (Jackson).
 *
 * @param shard {@link CorpusShard#name()}
 * @param samples good samples handed on
 * @param skipped samples skipped, by reason (reasons with a count only, in {@link SkipReason} order)
 * @param examples the first few keys of each reason ({@link CorpusLimits#examplesPerReason()})
 * @param membersIgnored members with no key or no extension ({@code README}, {@code ._abc.jpg}, {@code abc.})
 * @param metadataDropped other members of good samples over the metadata limits
 * @param failure for a shard cut short: its reason, the byte offset and the parser's message; else null
 */
public record ShardSummary(String shard, long samples, Map<SkipReason, Long> skipped, Map<SkipReason, List<String>> examples,
        long membersIgnored, long metadataDropped, String failure) {

    public long skippedTotal() {
        return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Counts one shard as it is read; {@link #summary()} freezes them. */
    static final class Tally {
        private static final int EXAMPLE_CHARS = 200;

        private final String shard;
        private final int examplesPerReason;
        private final Map<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);
        private final Map<SkipReason, List<String>> examples = new EnumMap<>(SkipReason.class);
        private long samples;
        private long membersIgnored;
        private long metadataDropped;
        private String failure;

        Tally(String shard, int examplesPerReason) {
            this.shard = shard;
            this.examplesPerReason = examplesPerReason;
        }

        void read(int droppedMetadata) {
            samples++;
            metadataDropped += droppedMetadata;
        }

        void skip(SkipReason reason, String example) {
            skipped.merge(reason, 1L, Long::sum);
            List<String> kept = examples.computeIfAbsent(reason, r -> new ArrayList<>());
            if (kept.size() < examplesPerReason) {
                kept.add(example.length() <= EXAMPLE_CHARS ? example : example.substring(0, EXAMPLE_CHARS - 3) + "...");
            }
        }

        void ignoreMember() {
            membersIgnored++;
        }

        /** The shard cannot be read past {@code offset}: one count for the sample in progress (if any) and the rest. */
        void cut(SkipReason reason, long offset, String keyInProgress, String message) {
            skip(reason, keyInProgress != null ? keyInProgress : "(at byte " + offset + ")");
            failure = reason + " at byte " + offset + ": " + message;
        }

        ShardSummary summary() {
            Map<SkipReason, List<String>> frozen = new EnumMap<>(SkipReason.class);
            examples.forEach((r, keys) -> frozen.put(r, List.copyOf(keys)));
            return new ShardSummary(shard, samples, Collections.unmodifiableMap(new EnumMap<>(skipped)),
                    Collections.unmodifiableMap(frozen), membersIgnored, metadataDropped, failure);
        }
    }
}
