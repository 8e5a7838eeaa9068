package dev.maws.platform.checkpoint;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import dev.maws.model.checkpoint.CheckpointFiles;
import dev.maws.platform.objectstore.ChunkPipe;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * The files of one checkpoint under {@code checkpoints/{job}/step-{n}/} in the platform bucket. A
 * file is streamed to S3 while it is written (a multipart upload of {@link #PART_BYTES} parts, on a
 * thread of its own) and appears when its stream closes, whole or not at all; the manifest, written
 * last, is what makes the checkpoint exist. Nothing goes to local disk: the optimizer state of a
 * ViT-L is 2.4 GB, more than a pod's scratch volume, and a killed trainer leaves no files behind.
 */
public final class S3CheckpointFiles implements CheckpointFiles {
    /** "{job}/step-{n}" or "{job}/latest"; job ids are what the trainer generates. */
    public static final Pattern REFERENCE = Pattern.compile("([a-z0-9][a-z0-9-]{0,62})/(step-(\\d{1,18})|latest)");

    /** Bytes of one part of a streamed upload (S3's minimum is 5 MiB): held in memory, one part per file being written. */
    static final long PART_BYTES = 16L << 20;
    /** Chunks of 64 KiB (the buffer in front of the pipe) in flight between the writer and the upload. */
    private static final int PIPE_CHUNKS = 16;
    /** How long an abort waits for the S3 client to give the upload up. */
    private static final long ABORT_WAIT_MILLIS = 30_000;

    private final ObjectStore store;
    private final String prefix;

    public S3CheckpointFiles(ObjectStore store, String job, long step) {
        this.store = store;
        this.prefix = "checkpoints/" + job + "/step-" + step + "/";
        ObjectStore.checkKey(prefix);
    }

    @Override
    public Output create(String name) throws IOException {
        String key = prefix + name;
        ChunkPipe pipe = new ChunkPipe(PIPE_CHUNKS);
        InputStream in = pipe.reader();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread upload = new Thread(() -> {
            try (in) {
                store.putStream(key, in, PART_BYTES, "application/octet-stream");
            } catch (Throwable t) { // reported to the writer by its next write or its close
                failure.set(t);
            }
        }, "maws-checkpoint-upload");
        upload.setDaemon(true);
        upload.start();
        OutputStream buffered = new BufferedOutputStream(pipe.writer(), 1 << 16);
        return new Output() {
            private final OutputStream out = buffered;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                try {
                    out.write(b);
                } catch (IOException e) {
                    throw uploadFailure(e);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw uploadFailure(e);
                }
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return; // writers such as Jackson close what they were given
                }
                closed = true;
                try {
                    out.close(); // the end of the stream: the upload completes
                } catch (IOException e) {
                    throw uploadFailure(e);
                }
                // the end is queued: the upload will complete whatever this thread does, so an interrupt
                // here waits for its outcome rather than reporting a failure for a file that then appears
                boolean interrupted = false;
                while (upload.isAlive()) {
                    try {
                        upload.join();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                IOException failed = uploadFailure(null);
                if (failed != null) {
                    throw failed;
                }
            }

            @Override
            public void abort() {
                if (closed) {
                    return;
                }
                closed = true;
                pipe.abort("the writer of s3 key " + key + " failed"); // the upload fails (a multipart one is aborted)
                try {
                    upload.join(ABORT_WAIT_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            /** Waits for the upload to end; its failure (or else {@code e}) as the writer's exception. */
            private IOException uploadFailure(IOException e) throws IOException {
                try {
                    upload.join();
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    pipe.abort("interrupted"); // the S3 client's reader fails and the upload is given up
                    throw new InterruptedIOException("interrupted while uploading s3 key " + key);
                }
                Throwable t = failure.get();
                if (t == null) {
                    return e;
                }
                return new IOException(t.getMessage(), t);
            }
        };
    }

    @Override
    public InputStream open(String name) throws IOException {
        try {
            return new BufferedInputStream(store.open(prefix + name), 1 << 16);
        } catch (ObjectStore.ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(String name) throws IOException {
        try {
            return store.exists(prefix + name);
        } catch (ObjectStore.ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
