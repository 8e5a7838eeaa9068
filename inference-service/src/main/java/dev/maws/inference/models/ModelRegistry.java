package dev.maws.inference.models;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import ai.djl.Device;
import dev.maws.inference.InferenceConfig;
import dev.maws.model.serve.PassThreads;
import dev.maws.model.serve.ServingModel;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.checkpoint.CheckpointCatalog;
import dev.maws.platform.image.Pixels;
import dev.maws.platform.tensor.TensorEngine;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;

/**
 * Checkpoints in memory, by resolved reference "{job}/step-{n}", at most
 * {@code max-loaded-models} (least recently used evicted). One inference thread takes every request
 * in order: it loads and evicts models and gathers forward requests into batches, which it hands to
 * {@code pass-workers} pass threads. A load or eviction waits until no pass runs, so a model is never
 * closed under a running request; requests beyond {@code max-queued-requests} are refused at once
 * instead of piling up. Forward passes are batched dynamically: requests for the same model and
 * output that arrive within {@code max-queue-delay} of the first, or that queue while every pass
 * thread is busy, share one pass of up to {@code max-batch-size} images.
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
    private static final String PASS_THREAD = "maws-inference-pass-";

    /** A loaded checkpoint and what serving it needs. */
    public record Loaded(String reference, ServingModel model, Vocabulary vocabulary, Pixels.Normalization normalization) {}

    private record Resolved(String reference, long at) {}

    private final InferenceConfig config;
    private final CheckpointCatalog catalog;
    private final VocabularyStore vocabularies;
    private final Device device;
    private final BlockingQueue<Object> queue; // FutureTask (control) or Forward
    /**
     * Requests admitted and not yet started, whether still in {@link #queue} or held back by the
     * inference thread for a later batch: what {@code max-queued-requests} bounds.
     */
    private final AtomicInteger waiting = new AtomicInteger();
    private final Thread worker;
    private final int passWorkers;
    private final ExecutorService passes;
    /** Pass threads free for a batch; the inference thread holds them all while it loads or evicts. */
    private final Semaphore idlePasses;
    private final DistributionSummary batchSizes;
    private final Timer queueTime;
    private final ThreadLocal<PassThreads> passThreads;
    /** Queues another try of the default model while it is not loaded. */
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "maws-inference-default-model");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    private final LinkedHashMap<String, Loaded> loaded = new LinkedHashMap<>(16, 0.75f, true); // inference thread only
    private final Map<String, Resolved> latest = new ConcurrentHashMap<>();
    /** What request threads may read without a trip to the inference thread: the loaded models by reference. */
    private final Map<String, Loaded> readable = new ConcurrentHashMap<>();
    private volatile String defaultReference;
    private volatile String defaultProblem = "not loaded yet";

    ModelRegistry(InferenceConfig config, CheckpointCatalog catalog, VocabularyStore vocabularies, TensorEngine engine,
            MeterRegistry metrics) {
        this.config = config;
        this.catalog = catalog;
        this.vocabularies = vocabularies;
        this.device = engine.runtime().devices(engine.device()).get(0);
        int slices = (config.maxImagesPerRequest() + config.maxBatchSize() - 1) / config.maxBatchSize();
        if (slices > config.maxQueuedRequests()) { // a full request could never be admitted
            throw new IllegalStateException("maws.inference.max-queued-requests=" + config.maxQueuedRequests()
                    + " is less than the " + slices + " forward passes of one request of maws.inference.max-images-per-request="
                    + config.maxImagesPerRequest() + " images at maws.inference.max-batch-size=" + config.maxBatchSize());
        }
        this.queue = new LinkedBlockingQueue<>(); // bounded by admit()
        int engineThreads = PassThreads.engineThreads(device);
        this.passWorkers = passWorkers(config.passWorkers(), device, engineThreads);
        int threadsPerPass = Math.max(1, engineThreads / passWorkers);
        this.passThreads = ThreadLocal.withInitial(() -> new PassThreads(device, config.smallPassImages(), threadsPerPass));
        this.idlePasses = new Semaphore(passWorkers);
        AtomicInteger named = new AtomicInteger();
        this.passes = Executors.newFixedThreadPool(passWorkers, r -> {
            Thread t = new Thread(r, PASS_THREAD + named.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        LOG.infof("%d pass thread(s), %d intra-op thread(s) for a pass of more than %d image(s)", passWorkers,
                device.isGpu() ? 0 : threadsPerPass, config.smallPassImages());
        this.batchSizes = DistributionSummary.builder("maws.inference.batch.size").description("images per forward pass")
                .publishPercentileHistogram().register(metrics);
        this.queueTime = Timer.builder("maws.inference.queue.time").description("time a request waited for its forward pass")
                .publishPercentileHistogram().register(metrics);
        this.worker = new Thread(this::loop, THREAD);
        this.worker.setDaemon(true);
        this.worker.start();
        Gauge.builder("maws.inference.queued.requests", waiting, AtomicInteger::get)
                .description("requests waiting for the inference thread; at max-queued-requests more are refused")
                .register(metrics);
        Gauge.builder("maws.inference.loaded.models", readable, Map::size).description("checkpoints held in memory")
                .register(metrics);
        Gauge.builder("maws.inference.live.ndarrays", readable,
                        r -> r.values().stream().mapToInt(l -> l.model().liveArrays()).sum())
                .description("NDArrays alive under the loaded models (their parameters; more means a leak)")
                .register(metrics);
        // at once, then every default-model-retry until it has loaded; a full queue skips a round
        config.defaultModel().ifPresent(ref -> retries.scheduleWithFixedDelay(() -> {
            if (defaultReference == null && !closed) {
                try {
                    admit(List.of(new FutureTask<>(() -> loadDefault(ref), null)), true);
                } catch (OverloadedException e) {
                    LOG.debugf("default model not tried this round: %s", e.getMessage());
                }
            }
        }, 0, config.defaultModelRetry().toNanos(), TimeUnit.NANOSECONDS));
    }

    /** On the inference thread: the default model, until it has loaded once (then it reloads on demand like any). */
    private void loadDefault(String reference) {
        if (defaultReference != null) {
            return;
        }
        try {
            defaultReference = loadHere(reference).reference();
            retries.shutdown();
            LOG.infof("default model %s loaded", defaultReference);
        } catch (Exception | OutOfMemoryError e) {
            String problem = e.getMessage() != null ? e.getMessage() : e.toString();
            if (!problem.equals(defaultProblem)) { // a checkpoint not written yet is logged once, not every retry
                LOG.errorf("default model %s could not be loaded (retried every %s): %s", reference,
                        config.defaultModelRetry(), problem);
            }
            defaultProblem = problem;
        }
    }

    /** {@code maws.inference.pass-workers}, 0 resolved: 2 on a CPU with 2 or more intra-op threads, else 1. */
    static int passWorkers(int configured, Device device, int engineThreads) {
        if (configured < 0) {
            throw new IllegalArgumentException("maws.inference.pass-workers must be >= 0 (0 = auto), got " + configured);
        }
        if (configured > 0) {
            return configured;
        }
        return !device.isGpu() && engineThreads >= 2 ? 2 : 1;
    }

    /**
     * What a forward pass computes: features (with pooling and normalisation), class probabilities, or
     * the multi-block features of the last {@code blocks} blocks ({@link ServingModel#embedBlocks}).
     */
    public record Output(boolean probabilities, VitConfig.Pooling pooling, boolean normalize, int blocks) {
        public static final Output PROBABILITIES = new Output(true, null, false, 0);

        /** Pooled features; {@code pooling} null = the model's own. */
        public static Output features(VitConfig.Pooling pooling, boolean normalize) {
            return new Output(false, pooling, normalize, 0);
        }

        /** The cls and mean tokens of each of the last {@code blocks} blocks, concatenated. */
        public static Output lastBlocks(int blocks) {
            return new Output(false, null, false, blocks);
        }
    }

    private record Forward(String reference, Output output, float[] pixels, int n, long queuedAt,
            CompletableFuture<float[][]> result) {}

    /**
     * One row per image of {@code model}'s {@code output}, computed in a dynamically batched pass.
     *
     * @param pixels n images prepared for this model (see {@link Loaded})
     * @throws OverloadedException when the queue is full
     */
    public float[][] forward(Loaded model, Output output, float[] pixels, int n) throws Exception {
        // more images than max-batch-size: slices of at most that many, each queued (and batched) on its own
        int max = config.maxBatchSize();
        int perImage = pixels.length / n;
        List<Forward> slices = new ArrayList<>();
        for (int from = 0; from < n; from += max) {
            int to = Math.min(n, from + max);
            float[] slice = n <= max ? pixels : Arrays.copyOfRange(pixels, from * perImage, to * perImage);
            slices.add(new Forward(model.reference(), output, slice, to - from, System.nanoTime(), new CompletableFuture<>()));
        }
        admit(slices, true); // all or none: a refused request leaves no slice behind to run for nothing
        float[][] rows = new float[n][];
        int at = 0;
        try {
            for (Forward f : slices) {
                float[][] part;
                try {
                    part = f.result().get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception ex) {
                        throw ex;
                    }
                    throw e;
                }
                System.arraycopy(part, 0, rows, at, part.length);
                at += part.length;
            }
        } finally {
            // a slice failed (or this thread was interrupted): the slices not run yet are skipped
            slices.forEach(f -> f.result().cancel(false));
        }
        return rows;
    }

    /**
     * The model of a reference, loading it on the inference thread when it is not loaded. The
     * result describes the model (config, vocabulary, normalisation); {@link #forward} finds (or
     * reloads) the model by its reference, so an eviction in between costs time, not correctness.
     */
    public Loaded load(String reference) throws Exception {
        Loaded l = readable.get(resolve(reference));
        return l != null ? l : call(() -> loadHere(reference));
    }

    /** Live NDArrays of a loaded model (its parameters plus any leak): flat over a long run. */
    public int liveArrays(String reference) throws Exception {
        return call(() -> loadHere(reference).model().liveArrays());
    }

    /** Drops a model; false when it was not loaded. */
    public boolean unload(String reference) throws Exception {
        return call(() -> {
            Loaded l = loaded.remove(resolve(reference));
            readable.keySet().retainAll(loaded.keySet());
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

    /** Requests and control tasks waiting for the inference thread (at most {@code max-queued-requests}). */
    public int queued() {
        return waiting.get();
    }

    /** Runs a task on the inference thread, in turn with every request, once no pass runs. */
    <T> T call(Callable<T> task) throws Exception {
        return call(task, true);
    }

    private <T> T call(Callable<T> task, boolean bounded) throws Exception {
        FutureTask<T> f = new FutureTask<>(task);
        admit(List.of(f), bounded);
        try {
            return f.get();
        } catch (CancellationException e) {
            throw stopping();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /**
     * Queues requests (the slices of one) or a control task for the inference thread, all or none.
     *
     * @param bounded whether they count against {@code max-queued-requests} (closing the models does not)
     * @throws OverloadedException when there is no room for all of them, or the service is stopping
     */
    private void admit(List<?> items, boolean bounded) {
        if (closed) {
            throw stopping();
        }
        if (waiting.addAndGet(items.size()) > config.maxQueuedRequests() && bounded) {
            waiting.addAndGet(-items.size());
            throw overloaded();
        }
        queue.addAll(items);
        if (closed) { // closed meanwhile: what the loop's last drain did not see is taken back here
            boolean removed = false;
            for (Object item : items) {
                if (queue.remove(item)) {
                    waiting.decrementAndGet();
                    removed = true;
                }
            }
            if (removed) {
                items.forEach(ModelRegistry::fail);
                throw stopping();
            }
        }
    }

    /** Tells whoever waits for an item that it will not run: the service is stopping. */
    private static void fail(Object item) {
        if (item instanceof Forward f) {
            f.result().completeExceptionally(stopping());
        } else if (item instanceof FutureTask<?> control) {
            control.cancel(false);
        }
    }

    /** An admitted request leaves the waiting count: it runs now (or fails, with its caller told). */
    private void started() {
        waiting.decrementAndGet();
    }

    private static OverloadedException stopping() {
        return new StoppingException();
    }

    private OverloadedException overloaded() {
        return new OverloadedException("the inference queue is full (maws.inference.max-queued-requests="
                + config.maxQueuedRequests() + "); retry later");
    }

    /**
     * The inference thread: control tasks in order, with no pass running; forward requests gathered
     * into batches, each handed to a free pass thread.
     */
    private void loop() {
        Deque<Object> carried = new ArrayDeque<>();
        while (!closed) {
            Object next;
            try {
                idlePasses.acquire(); // requests queue up while every pass thread is busy: the next batch takes them
                next = carried.isEmpty() ? queue.take() : carried.poll();
            } catch (InterruptedException e) {
                break;
            }
            started();
            if (next instanceof Forward skipped && skipped.result().isDone()) { // a slice of a request that failed
                idlePasses.release();
                continue;
            }
            if (next instanceof FutureTask<?> control) {
                idlePasses.acquireUninterruptibly(passWorkers - 1); // with the one held: no pass runs meanwhile
                try {
                    control.run(); // its outcome, failure included, goes to its caller
                } finally {
                    idlePasses.release(passWorkers);
                }
                continue;
            }
            Forward first = (Forward) next;
            List<Forward> batch = new ArrayList<>();
            batch.add(first);
            int images = first.n();
            for (Iterator<Object> it = carried.iterator(); it.hasNext() && images < config.maxBatchSize();) {
                Object waitingItem = it.next();
                if (waitingItem instanceof Forward f && f.result().isDone()) {
                    it.remove();
                    started();
                } else if (waitingItem instanceof Forward f && joins(first, f, images)) {
                    batch.add(f);
                    images += f.n();
                    it.remove();
                    started();
                }
            }
            long deadline = first.queuedAt() + config.maxQueueDelay().toNanos();
            while (images < config.maxBatchSize()) {
                long left = deadline - System.nanoTime();
                Object more;
                try {
                    more = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (more == null) {
                    break;
                }
                if (more instanceof Forward f && f.result().isDone()) {
                    started(); // a slice of a request that failed: dropped
                } else if (more instanceof Forward f && joins(first, f, images)) {
                    batch.add(f);
                    images += f.n();
                    started();
                } else {
                    carried.add(more); // still waiting: still counted
                }
            }
            Loaded model;
            try {
                model = modelOf(first.reference());
            } catch (Exception | OutOfMemoryError e) {
                batch.forEach(f -> f.result().completeExceptionally(e));
                idlePasses.release();
                continue;
            }
            int batchImages = images;
            passes.execute(() -> {
                try {
                    run(model, batch, batchImages);
                } finally {
                    idlePasses.release();
                }
            });
        }
        // stopping: what still waits is told so instead of waiting for ever
        List<Object> left = new ArrayList<>(carried);
        queue.drainTo(left);
        for (Object o : left) {
            started();
            fail(o);
        }
    }

    /**
     * Runs a task that loads, evicts or reads the loaded models once no pass runs; the inference
     * thread holds one pass permit when it calls this and still holds it after.
     */
    private <T> T withNoPassRunning(Callable<T> task) throws Exception {
        idlePasses.acquireUninterruptibly(passWorkers - 1);
        try {
            return task.call();
        } finally {
            idlePasses.release(passWorkers - 1);
        }
    }

    /** The loaded model of a reference; loading it (and maybe evicting another) once no pass runs. */
    private Loaded modelOf(String reference) throws Exception {
        Loaded l = loaded.get(resolve(reference));
        return l != null ? l : withNoPassRunning(() -> loadHere(reference));
    }

    private boolean joins(Forward first, Forward f, int images) {
        return f.reference().equals(first.reference()) && f.output().equals(first.output())
                && images + f.n() <= config.maxBatchSize();
    }

    /** On a pass thread: one forward pass for the batch, each request completed with its rows. */
    private void run(Loaded model, List<Forward> batch, int images) {
        long now = System.nanoTime();
        for (Forward f : batch) {
            queueTime.record(now - f.queuedAt(), TimeUnit.NANOSECONDS);
        }
        batchSizes.record(images);
        try {
            float[] pixels;
            if (batch.size() == 1) {
                pixels = batch.get(0).pixels();
            } else {
                pixels = new float[batch.stream().mapToInt(f -> f.pixels().length).sum()];
                int at = 0;
                for (Forward f : batch) {
                    System.arraycopy(f.pixels(), 0, pixels, at, f.pixels().length);
                    at += f.pixels().length;
                }
            }
            Output out = batch.get(0).output();
            passThreads.get().before(images);
            float[][] rows = out.probabilities() ? model.model().probabilities(pixels, images)
                    : out.blocks() > 0 ? model.model().embedBlocks(pixels, images, out.blocks())
                    : model.model().embed(pixels, images, out.pooling(), out.normalize());
            int row = 0;
            for (Forward f : batch) {
                f.result().complete(Arrays.copyOfRange(rows, row, row + f.n()));
                row += f.n();
            }
        } catch (Exception | OutOfMemoryError e) {
            for (Forward f : batch) {
                f.result().completeExceptionally(e);
            }
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
        try { // the model's native memory goes back on any failure here (an unreadable vocabulary, S3 down)
            if (model.hasHead()) {
                String version = entry.manifest().vocabularyVersion();
                vocabulary = vocabularies.find(version).orElse(null);
                if (vocabulary == null || vocabulary.size() != entry.manifest().vocabularySize()) {
                    throw new IllegalArgumentException("checkpoint " + resolved + " needs vocabulary " + version + " of "
                            + entry.manifest().vocabularySize() + " synsets, which is "
                            + (vocabulary == null ? "missing" : "of " + vocabulary.size()));
                }
            }
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
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
        readable.put(resolved, l);
        readable.keySet().retainAll(loaded.keySet());
        return l;
    }

    /** "" -> the default; "{job}/latest" -> the newest step (cached for latest-refresh); checks the form. */
    private String resolve(String reference) throws IOException {
        String ref = reference == null || reference.isEmpty() ? config.defaultModel().orElseThrow(
                () -> new IllegalArgumentException("model is required: this service has no maws.inference.default-model"))
                : reference;
        catalog.checkReference(ref);
        if (!ref.endsWith("/latest")) {
            // "job/step-007" is "job/step-7", the key its files live under: one model, not two
            java.util.regex.Matcher m = dev.maws.platform.checkpoint.S3CheckpointFiles.REFERENCE.matcher(ref);
            return m.matches() && m.group(3) != null ? m.group(1) + "/step-" + Long.parseLong(m.group(3)) : ref;
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
            call(() -> {
                closed = true; // on the inference thread, no pass running: nothing is loaded or run after this
                loaded.values().forEach(l -> l.model().close());
                loaded.clear();
                readable.clear();
                return null;
            }, false);
        } catch (Exception e) {
            LOG.warnf("models not closed cleanly: %s", e.getMessage());
        }
        closed = true;
        retries.shutdownNow();
        worker.interrupt();
        passes.shutdown();
    }

    /** The inference queue is full. */
    public static class OverloadedException extends RuntimeException {
        public OverloadedException(String message) {
            super(message);
        }
    }

    /** The registry is closing: no retry here will succeed. */
    public static final class StoppingException extends OverloadedException {
        StoppingException() {
            super("the inference service is stopping; retry on another replica");
        }
    }
}
