package dev.maws.platform.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;

/**
 * One tar shard of a corpus: a local file or an S3 object. {@link #name()} identifies it in summaries
 * and indexes (an absolute path, or {@code s3://bucket/key}).
 */
public sealed interface CorpusShard permits CorpusShard.LocalFile, CorpusShard.S3Object {

    String name();

    /** The whole shard as a stream (one GET on S3); the caller closes it. */
    InputStream open() throws IOException;

    /**
     * {@code length} bytes at {@code offset} (one ranged GET on S3): an image read back through its
     * {@link ShardIndex} entry.
     *
     * @throws java.io.EOFException when the shard ends before {@code offset + length}
     */
    byte[] read(long offset, int length) throws IOException;

    static CorpusShard local(Path file) {
        return new LocalFile(file.toAbsolutePath().normalize());
    }

    static CorpusShard s3(MinioClient client, String bucket, String key) {
        return new S3Object(client, bucket, key);
    }

    /** A tar file on a local disk. */
    record LocalFile(Path file) implements CorpusShard {
        @Override
        public String name() {
            return file.toString();
        }

        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(file);
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            checkRange(offset, length);
            ByteBuffer buffer = ByteBuffer.allocate(length);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, offset + buffer.position()) < 0) {
                        throw new java.io.EOFException(name() + " ends before byte " + (offset + length));
                    }
                }
            }
            return buffer.array();
        }
    }

    /** A tar object in any bucket the client can read (not necessarily the platform bucket). */
    record S3Object(MinioClient client, String bucket, String key) implements CorpusShard {
        @Override
        public String name() {
            return "s3://" + bucket + "/" + key;
        }

        @Override
        public InputStream open() throws IOException {
            return get(GetObjectArgs.builder().bucket(bucket).object(key).build());
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            checkRange(offset, length);
            if (length == 0) {
                return new byte[0];
            }
            try (InputStream in = get(GetObjectArgs.builder().bucket(bucket).object(key).offset(offset).length((long) length)
                    .build())) {
                byte[] bytes = in.readNBytes(length);
                if (bytes.length < length) {
                    throw new java.io.EOFException(name() + " ends before byte " + (offset + length));
                }
                return bytes;
            }
        }

        private InputStream get(GetObjectArgs args) throws IOException {
            try {
                return client.getObject(args);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) { // MinIO's checked exceptions: server answers, signing, XML
                throw new IOException("cannot read " + name() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return name();
        }
    }

    private static void checkRange(long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("a range needs offset >= 0 and length >= 0, got " + offset + ", " + length);
        }
    }
}
