package dev.maws.trainer.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import dev.maws.platform.corpus.CorpusLimits;
import dev.maws.platform.corpus.KeyLedger;
import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardReader;
import dev.maws.platform.objectstore.ObjectStore;

/** Test corpora stored as the corpus import stores them: a WebDataset tar and its index, beside each other. */
public final class StoredShards {
    private StoredShards() {}

    /**
     * Stores a shard of {@code images} as samples {@code k0, k1, ...} ({@code kI.EXTENSION} and a caption
     * {@code kI.txt}), indexed by the platform's own {@link ShardReader}.
     *
     * @return the shard's object key
     */
    public static String put(ObjectStore store, String dataset, String shard, List<byte[]> images, String extension)
            throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            for (int i = 0; i < images.size(); i++) {
                member(out, "k" + i + "." + extension, images.get(i));
                member(out, "k" + i + ".txt", ("caption " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        ShardIndex.Builder index = ShardIndex.builder(shard + ShardMember.SHARD_SUFFIX);
        new ShardReader(CorpusLimits.DEFAULTS).read(new ByteArrayInputStream(tar.toByteArray()), shard, new KeyLedger(),
                k -> false, index);
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
