package dev.maws.platform.objectstore;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where the platform bucket lives: MinIO in production, the devstack's S3Proxy in tests and locally. */
@ConfigMapping(prefix = "maws.s3")
public interface ObjectStoreConfig {
    /** S3 endpoint URL, e.g. {@code http://minio:9000}. Path-style addressing is used. */
    String endpoint();

    /** Region for SigV4 signatures. */
    @WithDefault("us-east-1")
    String region();

    /** Access key; from a Secret in Kubernetes, never from git. */
    String accessKey();

    /** Secret key; from a Secret in Kubernetes, never from git. */
    String secretKey();

    /** The platform bucket (images/, vocab/, checkpoints/, datasets/, reports/, jobs/). */
    @WithDefault("maws")
    String bucket();
}
