package dev.maws.platform.checkpoint;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import dev.maws.model.checkpoint.CheckpointFiles;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * The files of one checkpoint under {@code checkpoints/{job}/step-{n}/} in the platform bucket. A
 * file is spooled to a local temporary file and uploaded when its stream closes, so a reader sees
 * it whole or not at all; the manifest, written last, is what makes the checkpoint exist.
 */
public final class S3CheckpointFiles implements CheckpointFiles {
    /** "{job}/step-{n}" or "{job}/latest"; job ids are what the trainer generates. */
    public static final Pattern REFERENCE = Pattern.compile("([a-z0-9][a-z0-9-]{0,62})/(step-(\\d{1,18})|latest)");

    private final ObjectStore store;
    private final String prefix;

    public S3CheckpointFiles(ObjectStore store, String job, long step) {
        this.store = store;
        this.prefix = "checkpoints/" + job + "/step-" + step + "/";
        ObjectStore.checkKey(prefix);
    }

    @Override
    public OutputStream create(String name) throws IOException {
        Path tmp = Files.createTempFile("maws-checkpoint-", ".part");
        String key = prefix + name;
        return new FilterOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return; // writers such as Jackson close what they were given
                }
                closed = true;
                try {
                    super.close();
                    store.putFile(key, tmp, "application/octet-stream");
                } catch (ObjectStore.ObjectStoreException e) {
                    throw new IOException(e.getMessage(), e);
                } finally {
                    Files.deleteIfExists(tmp);
                }
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
