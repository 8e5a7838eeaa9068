package dev.maws.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;

/**
 * A real S3 server (S3Proxy over a directory, SigV4, path-style) inside this JVM. Objects are files
 * under the data directory and survive restarts; the credentials are new at every start.
 */
public final class EmbeddedS3 implements AutoCloseable {
    public static final String REGION = "us-east-1";

    private final Path dataDir;
    private final List<String> buckets;
    private final String accessKey = "devstack-" + randomHex(6);
    private final String secretKey = randomHex(20);
    private BlobStoreContext context;
    private S3Proxy proxy;
    private String endpoint;

    public EmbeddedS3(Path dataDir, List<String> buckets) {
        this.dataDir = dataDir;
        this.buckets = List.copyOf(buckets);
    }

    public synchronized void start() {
        if (proxy != null) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            Properties overrides = new Properties();
            overrides.setProperty("jclouds.filesystem.basedir", dataDir.toAbsolutePath().toString());
            context = ContextBuilder.newBuilder("filesystem-nio2")
                    // jclouds wants some credentials for the backend; the S3 front end checks the real ones
                    .credentials("devstack", "devstack")
                    .overrides(overrides)
                    .build(BlobStoreContext.class);
            int port = FreePorts.next();
            endpoint = "http://127.0.0.1:" + port;
            proxy = S3Proxy.builder()
                    .blobStore(new AtomicObjects(context.getBlobStore())) // a GET sees one version
                    .endpoint(URI.create(endpoint))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                    .build();
            proxy.start();
            while (!"STARTED".equals(proxy.getState())) {
                if ("FAILED".equals(proxy.getState())) {
                    throw new IllegalStateException("S3Proxy failed to start on " + endpoint);
                }
                Thread.sleep(10);
            }
            createBuckets();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start S3 in " + dataDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting S3", e);
        } catch (RuntimeException e) {
            close();
            throw e;
        } catch (Exception e) {
            close();
            throw new IllegalStateException("cannot start S3 on " + endpoint, e);
        }
    }

    public String endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("S3 is not started");
        }
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    @Override
    public synchronized void close() {
        try {
            if (proxy != null) {
                proxy.stop();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop S3Proxy", e);
        } finally {
            proxy = null;
            endpoint = null;
            if (context != null) {
                context.close();
                context = null;
            }
        }
    }

    private void createBuckets() throws Exception {
        MinioClient client = MinioClient.builder().endpoint(endpoint).region(REGION)
                .credentials(accessKey, secretKey).build();
        try {
            for (String bucket : buckets) {
                if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                }
            }
        } finally {
            client.close();
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
