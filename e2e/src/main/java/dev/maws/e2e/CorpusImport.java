package dev.maws.e2e;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.platform.corpus.CorpusLimits;
import dev.maws.platform.corpus.CorpusShard;
import dev.maws.platform.corpus.CorpusSource;
import dev.maws.platform.corpus.CorpusSummary;
import dev.maws.platform.corpus.KeyLedger;
import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardReader;
import dev.maws.platform.corpus.ShardSummary;
import dev.maws.platform.objectstore.ChunkPipe;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * Step 1 of {@code ./maws run --dataset PATH}: a user's WebDataset corpus into the platform bucket,
 * one object per shard, never one per image. Each shard is read once, front to back: its bytes are
 * uploaded as they are read ({@code shards/{dataset}/{shard}.tar}, a multipart upload for a large
 * one) while the reader builds its {@link ShardIndex}; then its summary
 * ({@code {shard}.summary.json}: samples and skips by reason) and, last, its index
 * ({@code {shard}.index.jsonl}). A shard with an index is imported: a run that was stopped and is
 * started again skips it (its keys still count for duplicates in later shards), so nothing is stored
 * twice and nothing is lost. The stored tar is the source's bytes unchanged, so the index's offsets
 * hold in both.
 */
final class CorpusImport {
    /** Parts of a shard's multipart upload; shards up to this size are one PUT. */
    static final long PART_BYTES = 16L << 20;
    static final String SUMMARY_SUFFIX = ".summary.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PIPE_CHUNKS = 64;

    /** One stored shard: its object key and its index (the captions come from it). */
    record StoredShard(String shardKey, ShardIndex index) {}

    /**
     * What was imported.
     *
     * @param shards every shard of the corpus, stored, in reading order
     * @param shardsAlreadyImported of those, shards a previous run had stored (skipped now)
     * @param summary samples and skips by reason over all shards (those of earlier runs from their summaries)
     * @param seconds this run's import time
     * @param samplesRead samples this run read (not those of shards already imported)
     */
    record Imported(String dataset, String location, List<StoredShard> shards, int shardsAlreadyImported, CorpusSummary summary,
            double seconds, long samplesRead, long bytesRead) {
        long samples() {
            return shards.stream().mapToLong(s -> s.index().entries().size()).sum();
        }

        double samplesPerSecond() {
            return seconds > 0 ? samplesRead / seconds : 0;
        }
    }

    private CorpusImport() {}

    static Imported run(ObjectStore store, CorpusSource source, String location, String dataset, Progress progress)
            throws IOException {
        long t0 = System.nanoTime();
        List<CorpusShard> shards = source.shards(location);
        Map<String, String> names = new HashMap<>(); // stored name -> source shard
        ShardReader reader = new ShardReader(CorpusLimits.DEFAULTS);
        KeyLedger ledger = new KeyLedger();
        List<StoredShard> stored = new ArrayList<>();
        List<ShardSummary> summaries = new ArrayList<>();
        int already = 0;
        long read = 0;
        long bytes = 0;
        Progress.Bar bar = progress.bar("import", shards.size());
        for (CorpusShard shard : shards) {
            String name = storedName(shard);
            String before = names.put(name, shard.name());
            if (before != null) {
                throw new IllegalArgumentException("shards " + before + " and " + shard.name() + " would both be stored as "
                        + name + ".tar in dataset " + dataset + "; give shards distinct file names");
            }
            String shardKey = ShardMember.shardKey(dataset, name);
            Optional<byte[]> index = store.find(ShardMember.indexKey(shardKey));
            ShardIndex done;
            ShardSummary summary;
            if (index.isPresent()) {
                done = ShardIndex.read(new ByteArrayInputStream(index.get()));
                done.entries().forEach(e -> ledger.add(e.key()));
                summary = store.find(summaryKey(shardKey)).map(CorpusImport::summary)
                        .orElseGet(() -> new ShardSummary(shard.name(), done.entries().size(), Map.of(), Map.of(), 0, 0, null));
                already++;
            } else {
                ShardIndex.Builder builder = ShardIndex.builder(name + ShardMember.SHARD_SUFFIX);
                long[] size = new long[1];
                summary = copyAndIndex(store, shard, shardKey, reader, ledger, builder, size);
                done = builder.build();
                store.put(summaryKey(shardKey), JSON.writeValueAsBytes(summary), "application/json");
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                done.write(out);
                store.put(ShardMember.indexKey(shardKey), out.toByteArray(), "application/jsonl"); // last: now it is imported
                read += done.entries().size();
                bytes += size[0];
            }
            stored.add(new StoredShard(shardKey, done));
            summaries.add(summary);
            bar.step(1);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        CorpusSummary summary = CorpusSummary.of(summaries, CorpusLimits.DEFAULTS.examplesPerReason());
        Imported imported = new Imported(dataset, location, List.copyOf(stored), already, summary, seconds, read, bytes);
        bar.done(String.format(Locale.ROOT, "%d samples in %d shards as shards/%s/ (%d shards imported before), %d skipped; "
                + "%.0f samples/s", imported.samples(), stored.size(), dataset, already, summary.skippedTotal(),
                imported.samplesPerSecond()));
        progress.say(summary.report().stripTrailing());
        return imported;
    }

    /**
     * Uploads the shard's bytes while the reader indexes them: one read of the source. The upload
     * reads what the reader took (and, after the reader stops at a damaged point, the rest) through a
     * bounded pipe; either side's failure fails both, and no object is left of a failed upload.
     */
    private static ShardSummary copyAndIndex(ObjectStore store, CorpusShard shard, String shardKey, ShardReader reader,
            KeyLedger ledger, ShardIndex.Builder index, long[] size) throws IOException {
        ChunkPipe pipe = new ChunkPipe(PIPE_CHUNKS);
        InputStream uploaded = pipe.reader();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread upload = new Thread(() -> {
            try (uploaded) {
                store.putStream(shardKey, uploaded, PART_BYTES, "application/x-tar");
            } catch (Throwable t) { // the reader's next write fails (the pipe's reader is closed); reported below
                failure.set(t);
            }
        }, "maws-shard-upload");
        upload.setDaemon(true);
        upload.start();
        // the pipe's writer is closed on success only: its close ends the upload's stream, which would
        // store what came before a failure as if it were the whole shard
        OutputStream copy = new BufferedOutputStream(pipe.writer(), 1 << 16);
        try (InputStream raw = shard.open()) {
            Tee tee = new Tee(raw, copy);
            ShardSummary summary = reader.read(tee, shard.name(), ledger, key -> false, index);
            tee.drain();
            size[0] = tee.bytes;
            copy.close();
            upload.join();
            if (failure.get() != null) {
                throw new IOException("cannot store " + shard.name() + " as s3://" + store.bucket() + "/" + shardKey + ": "
                        + failure.get().getMessage(), failure.get());
            }
            return summary;
        } catch (RuntimeException | IOException e) {
            pipe.abort("reading " + shard.name() + " failed: " + e.getMessage());
            joinQuietly(upload);
            Throwable cause = failure.get();
            if (cause != null && e.getCause() != cause) {
                e.addSuppressed(cause);
            }
            throw e;
        } catch (InterruptedException e) {
            pipe.abort("interrupted");
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while storing " + shard.name(), e);
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ShardSummary summary(byte[] json) {
        try {
            return JSON.readValue(json, ShardSummary.class);
        } catch (IOException e) {
            throw new IllegalStateException("a stored shard summary is not readable: " + e.getMessage(), e);
        }
    }

    static String summaryKey(String shardKey) {
        return shardKey.substring(0, shardKey.length() - ShardMember.SHARD_SUFFIX.length()) + SUMMARY_SUFFIX;
    }

    /** The shard's file name without {@code .tar}, its characters limited to those of an object key. */
    static String storedName(CorpusShard shard) {
        String name = shard.name().substring(shard.name().lastIndexOf('/') + 1);
        if (name.toLowerCase(Locale.ROOT).endsWith(ShardMember.SHARD_SUFFIX)) {
            name = name.substring(0, name.length() - ShardMember.SHARD_SUFFIX.length());
        }
        return safe(name, "shard");
    }

    /**
     * The dataset name of a corpus location: the directory it names, or the directory its shards (a
     * file, a pattern) are in; lower case, characters limited to {@code a-z 0-9 . _ -}.
     */
    static String datasetName(String location) {
        String path = location.startsWith("s3://") ? location.substring("s3://".length()) : location;
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String last = path.substring(path.lastIndexOf('/') + 1);
        if (last.toLowerCase(Locale.ROOT).endsWith(".tar") || last.contains("{")) {
            String parent = path.substring(0, Math.max(0, path.lastIndexOf('/')));
            last = parent.substring(parent.lastIndexOf('/') + 1);
        }
        return safe(last.toLowerCase(Locale.ROOT), "corpus");
    }

    private static String safe(String name, String fallback) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
                    || c == '.';
            b.append(ok ? c : '_');
        }
        String s = b.toString().replaceAll("^[._]+", "");
        if (s.length() > 100) {
            s = s.substring(0, 100);
        }
        return s.isEmpty() ? fallback : s;
    }

    /** Every byte read or skipped from the source also written to the upload. */
    private static final class Tee extends FilterInputStream {
        private final OutputStream copy;
        private final byte[] scratch = new byte[1 << 16];
        long bytes;

        Tee(InputStream in, OutputStream copy) {
            super(in);
            this.copy = copy;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                copy.write(b);
                bytes++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                copy.write(b, off, n);
                bytes += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException { // skipped bytes are copied too: read, not skipped
            int got = read(scratch, 0, (int) Math.min(n, scratch.length));
            return Math.max(got, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        /** The rest of the source: past where the reader stopped (end-of-archive padding, a damaged tail). */
        void drain() throws IOException {
            while (read(scratch, 0, scratch.length) >= 0) {
                // copied by read
            }
        }
    }
}
