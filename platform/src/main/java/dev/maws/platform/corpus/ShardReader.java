package dev.maws.platform.corpus;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads one WebDataset tar shard as a stream, front to back, never holding more than one sample:
 * consecutive members with the same key form a sample; a good one goes to the sink, any other is
 * counted by its {@link SkipReason}. Every member header's checksum is verified. A damaged tar
 * ({@link SkipReason#CORRUPT_TAR}, {@link SkipReason#TRUNCATED_TAR}, including a tar that ends
 * without its end-of-archive marker) ends the shard with what was read before it kept. A failure
 * to read the shard's bytes at all (disk, network) is not damage: it is thrown, naming the shard.
 * Deterministic: the same shard gives the same samples in the same order. Holds no state between
 * reads, so threads may share one; a {@link KeyLedger} is not thread-safe.
 */
public final class ShardReader {
    private final CorpusLimits limits;

    public ShardReader(CorpusLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Reads {@code shard} whole.
     *
     * @param ledger keys seen so far in this read of the corpus; this shard's keys are added
     * @param alreadySeen keys to skip without reading their data ({@link SkipReason#ALREADY_SEEN})
     * @param sink takes each good sample, in tar order; what it throws ends the read
     * @throws UncheckedIOException when the shard's bytes cannot be read
     */
    public ShardSummary read(CorpusShard shard, KeyLedger ledger, Predicate<String> alreadySeen, Consumer<CorpusSample> sink) {
        try (InputStream in = shard.open()) {
            return read(in, shard.name(), ledger, alreadySeen, sink);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read shard " + shard.name(), e);
        }
    }

    /** Reads a shard from {@code raw} (not closed here); {@code shardName} names it in samples and the summary. */
    public ShardSummary read(InputStream raw, String shardName, KeyLedger ledger, Predicate<String> alreadySeen,
            Consumer<CorpusSample> sink) {
        ShardSummary.Tally tally = new ShardSummary.Tally(shardName, limits.examplesPerReason());
        Counting in = new Counting(raw);
        Tar tar = new Tar(in);
        PendingSample pending = null;
        try {
            for (TarArchiveEntry entry; (entry = next(tar, in)) != null;) {
                long offset = in.position; // the header records are read, the member's data starts here
                if (entry.isDirectory()) {
                    continue;
                }
                MemberName name = MemberName.parse(entry.getName());
                if (name == null) {
                    tally.ignoreMember();
                    continue;
                }
                if (pending != null && !pending.key().equals(name.key())) {
                    finish(pending, shardName, tally, sink);
                    pending = null;
                }
                if (pending == null) {
                    pending = start(name.key(), ledger, alreadySeen);
                }
                int wanted = pending.admit(name, entry.getSize(), isPlainFile(entry));
                if (wanted >= 0) {
                    pending.accept(name, offset, data(tar, in, wanted));
                }
            }
            if (!tar.sawEndMarker) { // the last sample may have had more members
                throw new TarDamage(SkipReason.TRUNCATED_TAR, in.position, "the shard ends without the end-of-archive marker");
            }
            if (pending != null) {
                finish(pending, shardName, tally, sink);
            }
        } catch (TarDamage d) {
            tally.cut(d.reason, d.offset, pending == null ? null : pending.key(), d.getMessage());
        } catch (SourceFailure f) {
            throw new UncheckedIOException("cannot read shard " + shardName + " at byte " + in.position, f.io());
        }
        return tally.summary();
    }

    private PendingSample start(String key, KeyLedger ledger, Predicate<String> alreadySeen) {
        SkipReason refused = !ledger.add(key) ? SkipReason.DUPLICATE_KEY : alreadySeen.test(key) ? SkipReason.ALREADY_SEEN : null;
        return new PendingSample(key, limits, refused);
    }

    private static void finish(PendingSample pending, String shardName, ShardSummary.Tally tally, Consumer<CorpusSample> sink) {
        PendingSample.Outcome outcome = pending.complete(shardName);
        if (outcome.sample() == null) {
            tally.skip(outcome.reason(), pending.key());
        } else {
            sink.accept(outcome.sample());
            tally.read(outcome.metadataDropped());
        }
    }

    private static boolean isPlainFile(TarArchiveEntry e) {
        return e.isFile() && !e.isSymbolicLink() && !e.isLink() && !e.isSparse() && !e.isCharacterDevice() && !e.isBlockDevice()
                && !e.isFIFO();
    }

    /** The next member whose header passes its checksum (the parser itself only notes a mismatch). */
    private static TarArchiveEntry next(Tar tar, Counting in) throws TarDamage {
        TarArchiveEntry entry;
        try {
            entry = tar.getNextEntry();
        } catch (IOException | RuntimeException e) { // a damaged header may throw either
            throw TarDamage.of(e, in.position);
        }
        if (entry != null && !entry.isCheckSumOK()) {
            throw new TarDamage(SkipReason.CORRUPT_TAR, in.position - 512, "the header of a member fails its checksum");
        }
        return entry;
    }

    private static byte[] data(Tar tar, Counting in, int length) throws TarDamage {
        byte[] data;
        try {
            data = tar.readNBytes(length);
        } catch (IOException | RuntimeException e) {
            throw TarDamage.of(e, in.position);
        }
        if (data.length < length) {
            throw new TarDamage(SkipReason.TRUNCATED_TAR, in.position, "a member's data ends after " + data.length + " of "
                    + length + " bytes");
        }
        return data;
    }

    /** Notes whether the end-of-archive marker (a zero record) was met, rather than the end of the bytes. */
    private static final class Tar extends TarArchiveInputStream {
        boolean sawEndMarker;

        Tar(InputStream in) {
            super(in, "UTF-8"); // member names as webdataset (Python's tarfile) writes them, whatever this JVM's default
        }

        @Override
        protected boolean isEOFRecord(byte[] record) {
            boolean eof = super.isEOFRecord(record);
            sawEndMarker |= eof && record != null;
            return eof;
        }
    }

    /** A damaged tar: the shard cannot be read past {@code offset}. */
    private static final class TarDamage extends Exception {
        final SkipReason reason;
        final long offset;

        TarDamage(SkipReason reason, long offset, String message) {
            super(message);
            this.reason = reason;
            this.offset = offset;
        }

        static TarDamage of(Exception e, long offset) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SourceFailure f) {
                    throw f;
                }
            }
            String message = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
            String lower = message.toLowerCase(Locale.ROOT);
            boolean truncated = e instanceof EOFException || lower.contains("truncated") || lower.contains("premature end");
            return new TarDamage(truncated ? SkipReason.TRUNCATED_TAR : SkipReason.CORRUPT_TAR, offset, message);
        }
    }

    /** The shard's own bytes could not be read (disk, network): not the tar's fault. */
    private static final class SourceFailure extends RuntimeException {
        SourceFailure(IOException cause) {
            super(cause);
        }

        IOException io() {
            return (IOException) getCause();
        }
    }

    /** The shard's bytes with a count of those taken (read or skipped); its failures become {@link SourceFailure}. */
    private static final class Counting extends InputStream {
        private final InputStream in;
        long position;

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() {
            try {
                int b = in.read();
                position += b < 0 ? 0 : 1;
                return b;
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
        }

        @Override
        public int read(byte[] buffer, int off, int len) {
            try {
                int n = in.read(buffer, off, len);
                position += Math.max(n, 0);
                return n;
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
        }

        @Override
        public long skip(long n) {
            try {
                long skipped = in.skip(n);
                position += Math.max(skipped, 0);
                return skipped;
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
        }
    }
}
