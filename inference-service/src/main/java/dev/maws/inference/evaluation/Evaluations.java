package dev.maws.inference.evaluation;

import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import ai.djl.Device;
import dev.maws.inference.InferenceConfig;
import dev.maws.inference.api.ImageInputs;
import dev.maws.inference.api.Inference;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.inference.zeroshot.ClassResolver;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.tensor.TensorEngine;
import dev.maws.proto.v1.Evaluation;
import dev.maws.proto.v1.StartEvaluationRequest;

/**
 * Evaluation jobs: checked when started (every problem is an INVALID_ARGUMENT / NOT_FOUND before
 * anything runs), run one at a time on their own thread, readable while they run and, once they
 * succeeded, also after a restart from the report in {@code reports/evaluations/{id}.json}.
 */
@Singleton
public class Evaluations {
    private static final Logger LOG = Logger.getLogger(Evaluations.class);
    private static final Pattern ID = Pattern.compile("eval-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private static final List<Integer> DEFAULT_K = List.of(1, 5, 10);
    private static final int DEFAULT_SEEDS = 3;
    private static final int MAX_SEEDS = 20;
    private static final int MAX_K = 1000;
    private static final int KEPT = 200; // evaluations kept in memory; older succeeded ones come from S3
    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private final InferenceConfig config;
    private final ModelRegistry models;
    private final Inference inference;
    private final ClassResolver classes;
    private final DatasetStore datasets;
    private final ObjectStore store;
    private final int chunk;
    private final Device device;
    private final ThreadPoolExecutor runner;
    private final ExecutorService fetchers;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Evaluation> known = new LinkedHashMap<>(); // guarded by this

    Evaluations(InferenceConfig config, ModelRegistry models, Inference inference, ClassResolver classes,
            DatasetStore datasets, ObjectStore store, ImageInputs inputs, TensorEngine engine) {
        this.config = config;
        this.models = models;
        this.inference = inference;
        this.classes = classes;
        this.datasets = datasets;
        this.store = store;
        this.chunk = inputs.maxImages();
        this.device = engine.runtime().devices(engine.device()).get(0);
        this.runner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(Math.max(1, config.evaluation().maxQueued())), r -> thread(r, "maws-evaluation"));
        this.fetchers = Executors.newFixedThreadPool(config.evaluation().fetchThreads(),
                r -> thread(r, "maws-evaluation-fetch"));
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The report's object key. */
    public static String reportKey(String id) {
        return "reports/evaluations/" + id + ".json";
    }

    /** Checks the request, queues the evaluation and returns it (state "queued"). */
    public Evaluation start(StartEvaluationRequest request) throws Exception {
        List<String> problems = new ArrayList<>();
        String split = request.getSplit().isEmpty() ? "test" : request.getSplit();
        String trainSplit = request.getProbeTrainSplit().isEmpty() ? "train" : request.getProbeTrainSplit();
        checkName(problems, "dataset", request.getDataset());
        checkName(problems, "split", split);
        checkName(problems, "probe_train_split", trainSplit);
        // no flag set: every evaluation that applies (zero-shot only if the model turns out to have a head)
        boolean all = !request.getZeroShot() && !request.getLinearProbe() && !request.getFewShot();
        boolean linear = request.getLinearProbe() || all;
        boolean fewShot = request.getFewShot() || all;
        if ((linear || fewShot) && split.equals(trainSplit)) {
            problems.add("probe_train_split must differ from split (\"" + split + "\"): probes are scored on examples "
                    + "they were not trained on");
        }
        List<Integer> ks = request.getFewShotKCount() == 0 ? DEFAULT_K : request.getFewShotKList();
        if (ks.size() > 10 || ks.stream().anyMatch(k -> k < 1 || k > MAX_K) || ks.stream().distinct().count() != ks.size()) {
            problems.add("few_shot_k must be at most 10 distinct values in [1, " + MAX_K + "], got " + ks);
        }
        int seeds = request.getFewShotSeeds() == 0 ? DEFAULT_SEEDS : request.getFewShotSeeds();
        if (seeds < 1 || seeds > MAX_SEEDS) {
            problems.add("few_shot_seeds must be in [1, " + MAX_SEEDS + "] (0 = " + DEFAULT_SEEDS + "), got "
                    + request.getFewShotSeeds());
        }
        if (request.getProbeBlocks() < 0) {
            problems.add("probe_blocks must be >= 0 (0 = the model's pooled feature), got " + request.getProbeBlocks());
        } else if (request.getProbeBlocks() > 0 && !linear) {
            problems.add("probe_blocks chooses the linear probe's features; ask for linear_probe too, or leave it 0");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        ModelRegistry.Loaded model = models.load(request.getModel());
        int depth = model.model().config().depth();
        if (request.getProbeBlocks() > depth) {
            throw new IllegalArgumentException("probe_blocks must be in [0, " + depth + "] (" + model.reference()
                    + " has " + depth + " blocks), got " + request.getProbeBlocks());
        }
        boolean wsp = model.model().hasHead();
        List<String> notes = new ArrayList<>();
        if (request.getZeroShot() && !wsp) {
            throw new IllegalArgumentException("zero_shot needs a WSP checkpoint; " + model.reference() + " is "
                    + model.model().manifest().stage() + " (ask for linear_probe or few_shot)");
        }
        if (all && !wsp) {
            notes.add("zero-shot skipped: " + model.reference() + " is an " + model.model().manifest().stage()
                    + " checkpoint without a classification head");
        }
        boolean zeroShot = request.getZeroShot() || (all && wsp);

        Dataset eval = dataset(request.getDataset(), split);
        Dataset train = null;
        if (linear || fewShot) {
            train = dataset(request.getDataset(), trainSplit);
            if (!train.classes().equals(eval.classes())) {
                throw new IllegalArgumentException("splits " + split + " and " + trainSplit + " of " + request.getDataset()
                        + " have different classes: " + eval.classes() + " vs " + train.classes());
            }
            // different names are not enough: a split carved from another would score probes on their own examples
            java.util.Set<String> evalKeys = new java.util.HashSet<>();
            eval.examples().forEach(e -> evalKeys.add(e.key()));
            List<String> shared = train.examples().stream().map(Dataset.Example::key).filter(evalKeys::contains).limit(3)
                    .toList();
            if (!shared.isEmpty()) {
                throw new IllegalArgumentException("splits " + split + " and " + trainSplit + " of " + request.getDataset()
                        + " share images (" + String.join(", ", shared) + ", ...): probes must be scored on images they "
                        + "were not trained on");
            }
            // the probes' features are held in memory: the linear probe's for both splits, plus the pooled copy
            int width = model.model().config().width();
            int blocks = linear ? request.getProbeBlocks() : 0;
            long perRow = (long) width * (blocks > 0 ? 2L * blocks + 1 : 1);
            long rows = eval.examples().size() + (linear ? train.examples().size() : 0);
            long bytes = rows * perRow * Float.BYTES;
            long limit = config.evaluation().maxProbeFeatureBytes();
            if (bytes > limit) {
                throw new IllegalArgumentException("the probes' features of " + rows + " examples, " + perRow
                        + " floats each" + (blocks > 0 ? " (probe_blocks " + blocks + ")" : "") + ", take " + bytes
                        + " bytes, over maws.inference.evaluation.max-probe-feature-bytes=" + limit
                        + (blocks > 0 ? ": ask for fewer probe_blocks" : ": evaluate a smaller split"));
            }
        }
        String id = "eval-" + LocalDateTime.now(ZoneOffset.UTC).format(STAMP) + "-"
                + String.format("%06x", random.nextInt(1 << 24));
        EvaluationRun.Plan plan = new EvaluationRun.Plan(id, model.reference(), model.model().manifest().stage(),
                model.vocabulary(), eval, train, zeroShot, linear, linear ? request.getProbeBlocks() : 0,
                model.model().config().pooling(), fewShot ? List.copyOf(ks) : List.of(), seeds, List.copyOf(notes));
        Evaluation queued = Evaluation.newBuilder().setId(id).setState("queued").setReportKey(reportKey(id)).build();
        synchronized (this) {
            remember(queued);
            try {
                runner.execute(() -> run(plan));
            } catch (RejectedExecutionException e) {
                known.remove(id);
                throw new ModelRegistry.OverloadedException("maws.inference.evaluation.max-queued="
                        + config.evaluation().maxQueued() + " evaluations are already waiting; retry later");
            }
        }
        LOG.infof("evaluation %s queued: %s on %s/%s (zero-shot %s, linear %s, few-shot %s x %d seeds)", id,
                model.reference(), request.getDataset(), split, zeroShot, linear, fewShot ? ks : "no", seeds);
        return queued;
    }

    /** An evaluation by id: from memory while it is recent, else its stored report. */
    public Evaluation get(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("evaluation id must look like eval-20261126-193000-0a1b2c, got \"" + id + "\"");
        }
        synchronized (this) {
            Evaluation e = known.get(id);
            if (e != null) {
                return e;
            }
        }
        return store.find(reportKey(id))
                .map(bytes -> Evaluation.newBuilder().setId(id).setState("succeeded").setProgress(1)
                        .setReportJson(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).setReportKey(reportKey(id))
                        .build())
                .orElseThrow(() -> new NoSuchEvaluationException("no evaluation " + id));
    }

    private void run(EvaluationRun.Plan plan) {
        String id = plan.id();
        update(id, e -> e.setState("running"));
        try {
            EvaluationReport report = new EvaluationRun(plan, inference, classes, config.evaluation(), chunk, fetchers, device,
                    p -> update(id, e -> e.setProgress(p))).run();
            byte[] json = JSON.writeValueAsBytes(report);
            store.put(reportKey(id), json, "application/json");
            update(id, e -> e.setState("succeeded").setProgress(1).setReportJson(new String(json,
                    java.nio.charset.StandardCharsets.UTF_8)));
            LOG.infof("evaluation %s succeeded in %.1f s: zero-shot %s, linear %s, few-shot %s", id, report.seconds(),
                    report.zeroShot() == null ? "-" : String.format("%.4f", report.zeroShot().scores().top1()),
                    report.linearProbe() == null ? "-" : String.format("%.4f", report.linearProbe().scores().top1()),
                    report.fewShot() == null ? "-" : report.fewShot().keySet());
        } catch (Exception | OutOfMemoryError e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            update(id, b -> b.setState("failed").setError(reason));
            LOG.errorf(e, "evaluation %s failed: %s", id, reason);
        }
    }

    private synchronized void update(String id, java.util.function.UnaryOperator<Evaluation.Builder> change) {
        Evaluation e = known.get(id);
        if (e != null) {
            known.put(id, change.apply(e.toBuilder()).build());
        }
    }

    private synchronized void remember(Evaluation e) {
        known.put(e.getId(), e);
        var it = known.entrySet().iterator();
        while (known.size() > KEPT && it.hasNext()) {
            String state = it.next().getValue().getState();
            if (state.equals("succeeded") || state.equals("failed")) {
                it.remove();
            }
        }
    }

    private Dataset dataset(String name, String split) {
        Dataset d = datasets.find(name, split, config.evaluation().maxManifestBytes())
                .orElseThrow(() -> new NoSuchEvaluationException("no dataset " + Dataset.manifestKey(name, split)
                        + " (write it with its images first)"));
        if (d.examples().size() > config.evaluation().maxExamples()) {
            throw new IllegalArgumentException(name + "/" + split + " has " + d.examples().size()
                    + " examples; at most maws.inference.evaluation.max-examples=" + config.evaluation().maxExamples());
        }
        return d;
    }

    private static void checkName(List<String> problems, String what, String value) {
        if (!Dataset.NAME.matcher(value).matches()) {
            problems.add(what + " must be 1-64 characters of lower-case letters, digits and ._-, starting with a letter "
                    + "or digit; got \"" + value + "\"");
        }
    }

    @PreDestroy
    void close() {
        runner.shutdownNow();
        fetchers.shutdownNow();
    }

    /** No such evaluation or dataset. */
    public static final class NoSuchEvaluationException extends RuntimeException {
        public NoSuchEvaluationException(String message) {
            super(message);
        }
    }
}
