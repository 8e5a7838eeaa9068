package dev.maws.model.checkpoint;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.maws.model.nn.GradMode;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.Parameters.Parameter;
import dev.maws.model.nn.TensorIO;
import dev.maws.model.optim.AdamW;

/**
 * The checkpoint format: {@code model.params} (every trainable tensor by name), optionally
 * {@code optimizer.bin} (AdamW state), then {@code manifest.json} with the sha256 of both. Loading
 * verifies every checksum before it changes anything.
 */
public final class Checkpoint {
    public static final String PARAMS = "model.params";
    public static final String OPTIMIZER = "optimizer.bin";
    public static final String MANIFEST = "manifest.json";
    private static final int PARAMS_MAGIC = 0x4D415753; // "MAWS"
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Checkpoint() {}

    /**
     * Writes parameters, optimizer state (when not null) and, last, the manifest.
     *
     * @return the manifest as written (with file checksums)
     */
    public static CheckpointManifest save(CheckpointFiles files, Parameters params, AdamW optimizer,
            CheckpointManifest manifest) throws IOException {
        Map<String, CheckpointManifest.FileEntry> entries = new LinkedHashMap<>();
        entries.put(PARAMS, write(files, PARAMS, out -> writeParams(out, params)));
        if (optimizer != null) {
            entries.put(OPTIMIZER, write(files, OPTIMIZER, optimizer::save));
        }
        CheckpointManifest complete = manifest.withFiles(entries, Instant.now().toString());
        // serialised first: Jackson closes its target even when it fails, which would publish half a manifest
        byte[] json = JSON.writeValueAsBytes(complete);
        write(files, MANIFEST, out -> out.write(json));
        return complete;
    }

    /** The manifest of a checkpoint; a missing one means the checkpoint does not exist (yet). */
    public static CheckpointManifest readManifest(CheckpointFiles files) throws IOException {
        if (!files.exists(MANIFEST)) {
            throw new CheckpointException("no " + MANIFEST + ": the checkpoint is incomplete or does not exist");
        }
        try (InputStream in = files.open(MANIFEST)) {
            CheckpointManifest m = JSON.readValue(in, CheckpointManifest.class);
            if (m.format() != CheckpointManifest.FORMAT) {
                throw new CheckpointException("checkpoint format " + m.format() + " is not " + CheckpointManifest.FORMAT);
            }
            return m;
        }
    }

    /**
     * Loads parameters (names and shapes must match) and, when {@code optimizer} is not null, the
     * optimizer state. Every file's checksum is verified before anything is set: a mismatch changes
     * nothing. Each file is read once, hashed as it is parsed, and held (the optimizer state in
     * arrays of its own next to the optimizer's, the parameters on the heap) until every checksum
     * matched: a resume downloads each file once.
     */
    public static CheckpointManifest load(CheckpointFiles files, Parameters params, AdamW optimizer) throws IOException {
        CheckpointManifest manifest = readManifest(files);
        AdamW.Staged state = optimizer == null ? null
                : readVerified(files, manifest, OPTIMIZER, optimizer::read, AdamW.Staged::close);
        try {
            List<float[]> values = readVerified(files, manifest, PARAMS, in -> readParams(in, params), v -> {});
            GradMode.off();
            List<Parameter> all = params.all();
            for (int i = 0; i < values.size(); i++) {
                all.get(i).array().set(values.get(i));
            }
            if (state != null) {
                state.apply();
            }
        } finally {
            if (state != null) {
                state.close();
            }
        }
        return manifest;
    }

    private static void writeParams(DataOutputStream out, Parameters params) throws IOException {
        List<Parameter> all = params.all();
        out.writeInt(PARAMS_MAGIC);
        out.writeInt(1);
        out.writeInt(all.size());
        for (Parameter p : all) {
            out.writeUTF(p.name());
            TensorIO.write(out, p.array());
        }
    }

    /** How one checkpoint file is parsed. */
    @FunctionalInterface
    private interface Parser<T> {
        T parse(DataInputStream in) throws IOException;
    }

    /**
     * One file, parsed and checked against the manifest in one read; what was parsed is handed to
     * {@code discard} when the checksum does not match.
     */
    private static <T> T readVerified(CheckpointFiles files, CheckpointManifest manifest, String name, Parser<T> parser,
            java.util.function.Consumer<T> discard) throws IOException {
        CheckpointManifest.FileEntry expected = expected(manifest, name);
        T parsed = null;
        IOException unreadable = null;
        try (HashedInput hashed = new HashedInput(files.open(name))) {
            DataInputStream in = new DataInputStream(hashed);
            try {
                parsed = parser.parse(in);
            } catch (IOException e) { // a corrupt file may not even parse: its checksum says so first
                unreadable = e;
            }
            in.transferTo(OutputStream.nullOutputStream()); // the digest covers the whole file
            hashed.check(name, expected);
        } catch (Throwable e) { // an Error too: a staged optimizer state lives off the heap
            if (parsed != null) {
                discard.accept(parsed);
            }
            throw e;
        }
        if (unreadable != null) {
            throw unreadable;
        }
        return parsed;
    }

    /** A file's bytes as read, with their sha256 and count, to hold against the manifest at the end. */
    private static final class HashedInput extends java.io.FilterInputStream {
        private final MessageDigest digest;
        private long bytes;

        HashedInput(InputStream in) {
            this(in, sha256());
        }

        private HashedInput(InputStream in, MessageDigest digest) {
            super(new DigestInputStream(in, digest));
            this.digest = digest;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            bytes += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            bytes += Math.max(0, n);
            return n;
        }

        void check(String name, CheckpointManifest.FileEntry expected) throws CheckpointException {
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(expected.sha256()) || bytes != expected.bytes()) {
                throw new CheckpointException(name + " does not match its manifest: sha256 " + actual + " (" + bytes
                        + " bytes), expected " + expected.sha256() + " (" + expected.bytes() + " bytes)");
            }
        }
    }

    private static List<float[]> readParams(DataInputStream in, Parameters params) throws IOException {
        if (in.readInt() != PARAMS_MAGIC || in.readInt() != 1) {
            throw new CheckpointException(PARAMS + " is not a MAWS parameter file of version 1");
        }
        int count = in.readInt();
        List<Parameter> all = params.all();
        if (count != all.size()) {
            throw new CheckpointException(PARAMS + " holds " + count + " tensors, the model has " + all.size());
        }
        List<float[]> values = new ArrayList<>(count);
        for (Parameter p : all) {
            String name = in.readUTF();
            if (!name.equals(p.name())) {
                throw new CheckpointException(PARAMS + " has " + name + " where the model has " + p.name());
            }
            values.add(TensorIO.read(in, p.array().getShape(), name));
        }
        return values;
    }

    private static CheckpointManifest.FileEntry expected(CheckpointManifest manifest, String name)
            throws CheckpointException {
        CheckpointManifest.FileEntry expected = manifest.files() == null ? null : manifest.files().get(name);
        if (expected == null) {
            throw new CheckpointException(MANIFEST + " lists no " + name);
        }
        return expected;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static CheckpointManifest.FileEntry write(CheckpointFiles files, String name, Writer writer) throws IOException {
        MessageDigest digest = sha256();
        long[] bytes = {0};
        CheckpointFiles.Output raw = files.create(name);
        try {
            // counts in a long: DataOutputStream.size() stops at 2 GiB, a vit-h checkpoint is larger
            OutputStream counting = new java.io.FilterOutputStream(new DigestOutputStream(raw, digest)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    bytes[0] += len;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    bytes[0]++;
                }
            };
            DataOutputStream out = new DataOutputStream(counting);
            writer.write(out);
            out.flush();
        } catch (IOException | RuntimeException | Error e) {
            raw.abort(); // a file that failed part-way never appears
            throw e;
        }
        raw.close();
        return new CheckpointManifest.FileEntry(HexFormat.of().formatHex(digest.digest()), bytes[0]);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A checkpoint that cannot be used; the message says why. */
    public static final class CheckpointException extends IOException {
        public CheckpointException(String message) {
            super(message);
        }
    }
}
