package dev.maws.platform.corpus;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Reads a whole corpus: its shards in order through one {@link ShardReader}, with one
 * {@link KeyLedger} across them, so a key seen in an earlier shard is a
 * {@link SkipReason#DUPLICATE_KEY} in a later one. Deterministic: the same shards give the same
 * samples in the same order, and the same summary.
 *
 * <pre>{@code
 * List<CorpusShard> shards = CorpusSource.withS3(client).shards("s3://corpora/cc3m/shard-{00000..00331}.tar");
 * CorpusSummary summary = new CorpusReader(CorpusLimits.DEFAULTS).read(shards, imported::contains, sample -> ...);
 * System.out.print(summary.report());
 * }</pre>
 */
public final class CorpusReader {
    private final CorpusLimits limits;

    public CorpusReader(CorpusLimits limits) {
        this.limits = limits;
    }

    /**
     * @param alreadySeen keys taken by an earlier, interrupted run: skipped without reading their data
     *     and counted as {@link SkipReason#ALREADY_SEEN}
     * @param sink takes each good sample; what it throws ends the read
     * @throws java.io.UncheckedIOException when a shard's bytes cannot be read (disk, network), naming it
     */
    public CorpusSummary read(List<CorpusShard> shards, Predicate<String> alreadySeen, Consumer<CorpusSample> sink) {
        ShardReader reader = new ShardReader(limits);
        KeyLedger ledger = new KeyLedger();
        List<ShardSummary> perShard = new ArrayList<>(shards.size());
        for (CorpusShard shard : shards) {
            perShard.add(reader.read(shard, ledger, alreadySeen, sink));
        }
        return CorpusSummary.of(perShard, limits.examplesPerReason());
    }

    /** {@link #read(List, Predicate, Consumer)} with no key seen before. */
    public CorpusSummary read(List<CorpusShard> shards, Consumer<CorpusSample> sink) {
        return read(shards, key -> false, sink);
    }
}
