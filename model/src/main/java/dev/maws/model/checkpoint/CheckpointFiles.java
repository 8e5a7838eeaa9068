package dev.maws.model.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where the files of one checkpoint go and come from: a local directory here; S3 in the services
 * (they implement this over their object store). A file written here is visible only once its
 * stream is closed, and never when it is aborted.
 */
public interface CheckpointFiles {
    /** A file being written: {@link #close()} publishes it whole, {@link #abort()} drops it. */
    abstract class Output extends OutputStream {
        /**
         * The file will not appear (a writer that failed part-way calls this instead of close: a
         * truncated file must not be published). Idempotent; a later close does nothing.
         */
        public abstract void abort();
    }

    Output create(String name) throws IOException;

    InputStream open(String name) throws IOException;

    boolean exists(String name) throws IOException;

    /** A directory; each file is written to a temporary name and moved into place on close. */
    static CheckpointFiles directory(Path dir) {
        return new CheckpointFiles() {
            @Override
            public Output create(String name) throws IOException {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
                OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                return new Output() {
                    private boolean closed;

                    @Override
                    public void write(int b) throws IOException {
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void flush() throws IOException {
                        out.flush();
                    }

                    @Override
                    public void close() throws IOException {
                        if (closed) {
                            return; // writers such as Jackson close what they were given
                        }
                        try {
                            out.close();
                            Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                                    StandardCopyOption.ATOMIC_MOVE);
                        } catch (IOException | RuntimeException e) {
                            abort(); // a full disk at the last bytes: nothing published, nothing left behind
                            throw e;
                        }
                        closed = true;
                    }

                    @Override
                    public void abort() {
                        if (closed) {
                            return;
                        }
                        closed = true;
                        try {
                            out.close();
                        } catch (IOException ignored) {
                            // the file is dropped either way
                        }
                        try {
                            Files.deleteIfExists(tmp);
                        } catch (IOException ignored) {
                            // a leftover ".{name}...tmp" is never read as a checkpoint file
                        }
                    }
                };
            }

            @Override
            public InputStream open(String name) throws IOException {
                return new java.io.BufferedInputStream(Files.newInputStream(dir.resolve(name)), 1 << 16);
            }

            @Override
            public boolean exists(String name) {
                return Files.exists(dir.resolve(name));
            }
        };
    }
}
