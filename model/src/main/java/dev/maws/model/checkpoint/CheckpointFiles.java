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
 * stream is closed.
 */
public interface CheckpointFiles {
    OutputStream create(String name) throws IOException;

    InputStream open(String name) throws IOException;

    boolean exists(String name) throws IOException;

    /** A directory; each file is written to a temporary name and moved into place on close. */
    static CheckpointFiles directory(Path dir) {
        return new CheckpointFiles() {
            @Override
            public OutputStream create(String name) throws IOException {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
                OutputStream out = Files.newOutputStream(tmp);
                return new java.io.FilterOutputStream(new java.io.BufferedOutputStream(out, 1 << 16)) {
                    private boolean closed;

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        this.out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        if (closed) {
                            return; // writers such as Jackson close what they were given
                        }
                        closed = true;
                        super.close();
                        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
