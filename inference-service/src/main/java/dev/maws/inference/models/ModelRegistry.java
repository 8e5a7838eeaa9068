package dev.maws.inference.models;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import ai.djl.Device;
import dev.maws.inference.InferenceConfig;
import dev.maws.model.serve.ServingModel;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.platform.image.Pixels;
import dev.maws.platform.tensor.TensorEngine;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/**
 * Checkpoints in memory, by resolved reference "{job}/step-{n}", at most
 * {@code max-loaded-models} (least recently used evicted). Every load, eviction and forward pass
 * runs on one inference thread: a model is never closed under a running request, and requests
 * beyond {@code max-queued-requests} are refused at once instead of piling up.
 * "{job}/latest" is re-resolved every {@code latest-refresh}, so a newer checkpoint takes over
 * without a restart. Readiness is DOWN until the default model (if configured) is loaded.
 */
@Startup
@Readiness
@Default // @Readiness is a qualifier: without @Default nobody could inject the registry
@Singleton
public class ModelRegistry implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    private static final String THREAD = "maws-inference";

    /** A loaded checkpoint and what serving it needs. */
    public record Loaded(String reference, ServingModel model, Vocabulary vocabulary, Pixels.Normalization normalization) {}

    /** Work on a loaded model, run on the inference thread. */
    @FunctionalInterface
    public interface ModelWork<T> {
        T apply(Loaded model) throws Exception;
    }

    private record Resolved(String reference, long at) {}

    private final InferenceConfig config;
    private final CheckpointCatalog catalog;
    private final VocabularyStore vocabularies;
    private final Device device;
    private final ThreadPoolExecutor worker;
    private final LinkedHashMap<String, Loaded> loaded = new LinkedHashMap<>(16, 0.75f, true); // inference thread only
    private final Map<String, Resolved> latest = new ConcurrentHashMap<>();
    private volatile int loadedCount;
    private volatile String defaultReference;
    private volatile String defaultProblem = "not loaded yet";

    ModelRegistry(InferenceConfig config, CheckpointCatalog catalog, VocabularyStore vocabularies, TensorEngine engine,
            MeterRegistry metrics) {
        this.config = config;
        this.catalog = catalog;
        this.vocabularies = vocabularies;
        this.device = engine.runtime().devices(engine.device()).get(0);
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.maxQueuedRequests()),
                r -> {
                    Thread t = new Thread(r, THREAD);
                    t.setDaemon(true);
                    return t;
                });
        Gauge.builder("maws.inference.loaded.models", () -> loadedCount).description("checkpoints held in memory")
                .register(metrics);
        config.defaultModel().ifPresent(ref -> worker.execute(() -> {
            try {
                defaultReference = loadHere(ref).reference();
                LOG.infof("default model %s loaded", defaultReference);
            } catch (Exception e) {
                defaultProblem = e.getMessage();
                LOG.errorf("default model %s could not be loaded: %s", ref, e.getMessage());
            }
        }));
    }

    /**
     * Runs {@code work} on the inference thread with the model of {@code reference} ("" = the default).
     *
     * @throws IllegalArgumentException malformed or unknown reference (the message says which)
     * @throws OverloadedException when the queue is full
     */
    public <T> T with(String reference, ModelWork<T> work) throws Exception {
        return call(() -> work.apply(loadHere(reference)));
    }

    /** Loads a model (a no-op when it is loaded). */
    public Loaded load(String reference) throws Exception {
        return call(() -> loadHere(reference));
    }

    /** Drops a model; false when it was not loaded. */
    public boolean unload(String reference) throws Exception {
        return call(() -> {
            Loaded l = loaded.remove(resolve(reference));
            loadedCount = loaded.size();
            if (l != null) {
                l.model().close();
                LOG.infof("unloaded %s", l.reference());
            }
            return l != null;
        });
    }

    /** The loaded models, most recently used first. */
    public List<Loaded> list() throws Exception {
        return call(() -> {
            List<Loaded> out = new ArrayList<>(loaded.values());
            Collections.reverse(out);
            return out;
        });
    }

    private <T> T call(Callable<T> task) throws Exception {
        Future<T> f;
        try {
            f = worker.submit(task);
        } catch (RejectedExecutionException e) {
            throw new OverloadedException("the inference queue is full (maws.inference.max-queued-requests="
                    + config.maxQueuedRequests() + "); retry later");
        }
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private Loaded loadHere(String reference) throws IOException {
        String resolved = resolve(reference);
        Loaded l = loaded.get(resolved);
        if (l != null) {
            return l;
        }
        CheckpointCatalog.Entry entry = catalog.resolve(resolved);
        long t0 = System.nanoTime();
        ServingModel model = ServingModel.load(catalog.files(entry.job(), entry.step()), device);
        Vocabulary vocabulary = null;
        if (model.hasHead()) {
            String version = entry.manifest().vocabularyVersion();
            vocabulary = vocabularies.find(version).orElse(null);
            if (vocabulary == null || vocabulary.size() != entry.manifest().vocabularySize()) {
                model.close();
                throw new IllegalArgumentException("checkpoint " + resolved + " needs vocabulary " + version + " of "
                        + entry.manifest().vocabularySize() + " synsets, which is "
                        + (vocabulary == null ? "missing" : "of " + vocabulary.size()));
            }
        }
        l = new Loaded(resolved, model, vocabulary, Pixels.Normalization.standard(model.config().channels()));
        loaded.put(resolved, l);
        LOG.infof("loaded %s (%s) in %d ms", resolved, entry.manifest().stage(), (System.nanoTime() - t0) / 1_000_000);
        Iterator<Map.Entry<String, Loaded>> eldest = loaded.entrySet().iterator();
        while (loaded.size() > config.maxLoadedModels() && eldest.hasNext()) {
            Map.Entry<String, Loaded> e = eldest.next();
            if (!e.getKey().equals(resolved)) {
                e.getValue().model().close();
                eldest.remove();
                LOG.infof("evicted %s (maws.inference.max-loaded-models=%d)", e.getKey(), config.maxLoadedModels());
            }
        }
        loadedCount = loaded.size();
        return l;
    }

    /** "" -> the default; "{job}/latest" -> the newest step (cached for latest-refresh); checks the form. */
    private String resolve(String reference) throws IOException {
        String ref = reference == null || reference.isEmpty() ? config.defaultModel().orElseThrow(
                () -> new IllegalArgumentException("model is required: this service has no maws.inference.default-model"))
                : reference;
        catalog.checkReference(ref);
        if (!ref.endsWith("/latest")) {
            return ref;
        }
        Resolved r = latest.get(ref);
        if (r == null || System.nanoTime() - r.at() > config.latestRefresh().toNanos()) {
            r = new Resolved(catalog.resolve(ref).reference(), System.nanoTime());
            latest.put(ref, r);
        }
        return r.reference();
    }

    @Override
    public HealthCheckResponse call() {
        if (config.defaultModel().isEmpty()) {
            return HealthCheckResponse.named("models").up().withData("default-model", "none").build();
        }
        return HealthCheckResponse.named("models").status(defaultReference != null)
                .withData("default-model", config.defaultModel().get())
                .withData("loaded", defaultReference == null ? defaultProblem : defaultReference).build();
    }

    @PreDestroy
    void close() {
        try {
            worker.submit(() -> {
                loaded.values().forEach(l -> l.model().close());
                loaded.clear();
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("models not closed cleanly: %s", e.getMessage());
        }
        worker.shutdownNow();
    }

    /** The inference queue is full. */
    public static final class OverloadedException extends RuntimeException {
        public OverloadedException(String message) {
            super(message);
        }
    }
}
