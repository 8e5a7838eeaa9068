package dev.maws.platform.objectstore;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded hand-over of byte chunks from a writer to a reader on other threads. java.io's piped
 * streams tie themselves to the threads that last used them ("Read end dead" once that thread ends),
 * and the S3 client reads an upload's stream on threads of its own. The writer side of a streamed
 * upload ({@link ObjectStore#putStream}) whose bytes are produced elsewhere: a checkpoint file, a
 * corpus shard copied while it is read.
 */
public final class ChunkPipe {
    private static final byte[] END = new byte[0];
    /** Wakes a reader waiting for a chunk when the writer aborts. */
    private static final byte[] ABORTED = new byte[0];

    private final BlockingQueue<byte[]> chunks;
    private volatile boolean readerClosed;
    private volatile String abortReason;

    /** @param capacity chunks in flight; the writer waits when they are all taken */
    public ChunkPipe(int capacity) {
        this.chunks = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * The writer gives up: the reader's next read fails with {@code reason} instead of seeing an end
     * of stream, so what it feeds (an upload) fails rather than completing with a prefix.
     */
    public void abort(String reason) {
        abortReason = reason;
        chunks.clear();
        chunks.offer(ABORTED);
    }

    /** Each write is one chunk (put a buffer in front); close marks the end of the stream. */
    public OutputStream writer() {
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                put(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    put(Arrays.copyOfRange(b, off, off + len));
                }
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    put(END);
                }
            }

            private void put(byte[] chunk) throws IOException {
                if (closed && chunk != END) {
                    throw new IOException("write after close");
                }
                try {
                    while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                        if (readerClosed) {
                            throw new IOException("the reader of this stream has stopped");
                        }
                        if (abortReason != null) {
                            throw new IOException("aborted: " + abortReason);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while writing");
                }
            }
        };
    }

    /** The bytes written, until the writer closes; closing it makes further writes fail. */
    public InputStream reader() {
        return new InputStream() {
            private byte[] current;
            private int position;
            private boolean ended;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (!ended && (current == null || position == current.length)) {
                    // a timed wait: a reader whose writer went away, or that was closed from another thread
                    // (the upload reads on threads of the S3 client's own), fails instead of waiting for ever
                    if (abortReason != null) {
                        throw new IOException("the writer aborted: " + abortReason);
                    }
                    if (readerClosed) {
                        throw new IOException("read after close");
                    }
                    try {
                        current = chunks.poll(100, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading");
                    }
                    position = 0;
                    ended = current == END;
                }
                if (ended) {
                    return -1;
                }
                int n = Math.min(len, current.length - position);
                System.arraycopy(current, position, b, off, n);
                position += n;
                return n;
            }

            @Override
            public void close() {
                readerClosed = true;
                chunks.clear();
            }
        };
    }
}
