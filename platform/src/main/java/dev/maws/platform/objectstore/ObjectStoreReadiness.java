package dev.maws.platform.objectstore;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the platform bucket answers with our credentials. */
@Readiness
@ApplicationScoped
public class ObjectStoreReadiness implements HealthCheck {
    private final ObjectStore store;

    ObjectStoreReadiness(ObjectStore store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("object-store").withData("bucket", store.bucket());
        try {
            return store.bucketExists() ? response.up().build()
                    : response.down().withData("reason", "bucket does not exist").build();
        } catch (ObjectStore.ObjectStoreException e) {
            return response.down().withData("reason", String.valueOf(e.getCause())).build();
        }
    }
}
