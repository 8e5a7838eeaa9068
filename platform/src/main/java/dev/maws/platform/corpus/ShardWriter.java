package dev.maws.platform.corpus;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import dev.maws.platform.objectstore.ObjectStore;

/**
 * Samples made here (not a user's tar) stored as the corpus import stores a user's shard: a WebDataset
 * tar ({@code KEY.EXT} image, {@code KEY.txt} caption) at {@code shards/{dataset}/{shard}.tar} and its
 * {@link ShardIndex} beside it, made by the same {@link ShardReader} that indexes a user's shards. Built
 * in memory: for shards of thousands of small images (Fashion-MNIST, tests), not for a user's corpus.
 */
public final class ShardWriter {
    /** One sample: its key, image extension ({@code png}, {@code jpg}, ...), image bytes and caption. */
    public record Sample(String key, String extension, byte[] image, String caption) {}

    private ShardWriter() {}

    /**
     * Writes and stores the shard with its index.
     *
     * @return the shard's object key ({@link ShardMember#shardKey})
     * @throws IllegalArgumentException when a sample does not read back (not an image, a key twice)
     */
    public static String store(ObjectStore store, String dataset, String shard, List<Sample> samples) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Sample s : samples) {
                member(out, s.key() + "." + s.extension(), s.image());
                member(out, s.key() + ".txt", s.caption().getBytes(StandardCharsets.UTF_8));
            }
        }
        ShardIndex.Builder index = ShardIndex.builder(shard + ShardMember.SHARD_SUFFIX);
        ShardSummary summary = new ShardReader(CorpusLimits.DEFAULTS).read(new ByteArrayInputStream(tar.toByteArray()), shard,
                new KeyLedger(), k -> false, index);
        if (summary.samples() != samples.size()) {
            throw new IllegalArgumentException("shard " + shard + " of " + dataset + " read back " + summary.samples()
                    + " samples of " + samples.size() + ": " + summary);
        }
        String shardKey = ShardMember.shardKey(dataset, shard);
        store.put(shardKey, tar.toByteArray(), "application/x-tar");
        ByteArrayOutputStream indexBytes = new ByteArrayOutputStream();
        index.build().write(indexBytes);
        store.put(ShardMember.indexKey(shardKey), indexBytes.toByteArray(), "application/jsonl");
        return shardKey;
    }

    private static void member(TarArchiveOutputStream out, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
    }
}
