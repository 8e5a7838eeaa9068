package dev.maws.platform.corpus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What reading a corpus gave, in total and per shard. JSON-serialisable as it is (Jackson);
 * {@link #report()} is the same for a console.
 *
 * @param shards shards read
 * @param samples good samples handed on
 * @param skipped samples skipped, by reason (reasons with a count only, in {@link SkipReason} order)
 * @param examples the first few skipped keys of each reason across shards, as {@code key (shard file name)}
 * @param membersIgnored members with no key or no extension
 * @param metadataDropped other members of good samples over the metadata limits
 * @param perShard each shard's summary, in reading order
 */
public record CorpusSummary(int shards, long samples, Map<SkipReason, Long> skipped, Map<SkipReason, List<String>> examples,
        long membersIgnored, long metadataDropped, List<ShardSummary> perShard) {

    /** The totals of {@code perShard}, keeping {@code examplesPerReason} examples of each reason. */
    public static CorpusSummary of(List<ShardSummary> perShard, int examplesPerReason) {
        Map<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);
        Map<SkipReason, List<String>> examples = new EnumMap<>(SkipReason.class);
        long samples = 0;
        long ignored = 0;
        long dropped = 0;
        for (ShardSummary s : perShard) {
            samples += s.samples();
            ignored += s.membersIgnored();
            dropped += s.metadataDropped();
            s.skipped().forEach((reason, n) -> skipped.merge(reason, n, Long::sum));
            String file = s.shard().substring(s.shard().lastIndexOf('/') + 1);
            s.examples().forEach((reason, keys) -> {
                List<String> kept = examples.computeIfAbsent(reason, r -> new ArrayList<>());
                for (int i = 0; i < keys.size() && kept.size() < examplesPerReason; i++) {
                    kept.add(keys.get(i) + " (" + file + ")");
                }
            });
        }
        examples.replaceAll((reason, keys) -> List.copyOf(keys));
        return new CorpusSummary(perShard.size(), samples, Collections.unmodifiableMap(skipped),
                Collections.unmodifiableMap(examples), ignored, dropped, List.copyOf(perShard));
    }

    public long skippedTotal() {
        return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Shards that could not be read to their end ({@link ShardSummary#failure()} set). */
    public List<ShardSummary> shardsCut() {
        return perShard.stream().filter(s -> s.failure() != null).toList();
    }

    /** The summary for a console: totals, each reason with its examples, the shards cut short. */
    public String report() {
        StringBuilder out = new StringBuilder();
        out.append("corpus: ").append(shards).append(shards == 1 ? " shard, " : " shards, ").append(samples)
                .append(" samples read, ").append(skippedTotal()).append(" skipped\n");
        skipped.forEach((reason, n) -> out.append(String.format("  %-22s %8d  e.g. %s%n", reason, n,
                String.join(", ", examples.getOrDefault(reason, List.of())))));
        List<ShardSummary> cut = shardsCut();
        if (!cut.isEmpty()) {
            out.append("shards cut short (the rest of each is lost):\n");
            cut.forEach(s -> out.append("  ").append(s.shard()).append(": ").append(s.failure()).append('\n'));
        }
        if (membersIgnored > 0 || metadataDropped > 0) {
            out.append("members ignored (no key or extension): ").append(membersIgnored)
                    .append("; metadata members dropped (over the limits): ").append(metadataDropped).append('\n');
        }
        return out.toString();
    }
}
