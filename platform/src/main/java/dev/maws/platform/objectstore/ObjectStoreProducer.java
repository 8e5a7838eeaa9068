package dev.maws.platform.objectstore;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** One {@link ObjectStore} per service, closed at shutdown. */
@ApplicationScoped
public class ObjectStoreProducer {
    @Produces
    @Singleton
    ObjectStore objectStore(ObjectStoreConfig config) {
        return ObjectStore.of(config);
    }

    void close(@Disposes ObjectStore store) {
        store.close();
    }
}
