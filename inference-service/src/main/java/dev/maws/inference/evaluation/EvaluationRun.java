package dev.maws.inference.evaluation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.DoubleConsumer;
import java.util.function.UnaryOperator;

import ai.djl.Device;
import dev.maws.inference.InferenceConfig;
import dev.maws.inference.api.Inference;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.inference.zeroshot.ClassResolver;
import dev.maws.model.probe.ProbeFit;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.proto.v1.ClassResolution;
import dev.maws.proto.v1.Image;

/**
 * One evaluation of a checkpoint on a dataset split: features (and, for zero-shot, vocabulary
 * probabilities) of the images through the serving path, then zero-shot scores, a linear probe
 * on the training split's features and few-shot probes on k examples per class for several seeds.
 * Images go through {@link Inference#forward} in request-sized chunks from a small pool, so they
 * are fetched and decoded in parallel and share the dynamic batches of live traffic.
 */
final class EvaluationRun {
    /**
     * What was asked, checked and resolved (the model reference pinned to one step).
     *
     * @param probeBlocks 0 = the linear probe on the pooled feature; N = on the cls and mean tokens of
     *     the last N blocks
     * @param pooling the model's own pooling (the few-shot probes' feature)
     */
    record Plan(String id, String model, String stage, Vocabulary vocabulary, Dataset eval, Dataset train, boolean zeroShot,
            boolean linearProbe, int probeBlocks, VitConfig.Pooling pooling, List<Integer> fewShotK, int seeds,
            List<String> notes) {}

    private static final ModelRegistry.Output FEATURES = ModelRegistry.Output.features(null, false);

    private final Plan plan;
    private final Inference inference;
    private final ClassResolver classes;
    private final InferenceConfig.EvaluationLimits limits;
    private final int chunk;
    private final ExecutorService fetchers;
    private final Device device;
    private final DoubleConsumer progress;
    /** Few-shot picks: k -> per seed, the training examples (indices) of that probe. */
    private final Map<Integer, int[][]> picks = new LinkedHashMap<>();
    /** Training examples whose features the probes need, ascending. */
    private final int[] trainIdx;
    private long imagesDone;
    private final long imagesTotal;
    private int fitsDone;
    private final int fitsTotal;

    EvaluationRun(Plan plan, Inference inference, ClassResolver classes, InferenceConfig.EvaluationLimits limits,
            int chunk, ExecutorService fetchers, Device device, DoubleConsumer progress) {
        this.plan = plan;
        this.inference = inference;
        this.classes = classes;
        this.limits = limits;
        this.chunk = chunk;
        this.fetchers = fetchers;
        this.device = device;
        this.progress = progress;
        boolean probes = plan.linearProbe() || !plan.fewShotK().isEmpty();
        if (!plan.fewShotK().isEmpty()) {
            pickFewShot();
        }
        this.trainIdx = probes ? trainIndices() : new int[0];
        int evalPasses = (plan.zeroShot() ? 1 : 0) + (probes ? 1 : 0);
        this.imagesTotal = (long) evalPasses * plan.eval().examples().size() + trainIdx.length;
        this.fitsTotal = (plan.linearProbe() ? plan.probeBlocks() > 0 ? 2 : 1 : 0) + plan.fewShotK().size() * plan.seeds();
    }

    /** How long an evaluation chunk waits for room in a full inference queue. */
    static final java.time.Duration QUEUE_PATIENCE = java.time.Duration.ofMinutes(10);

    EvaluationReport run() throws Exception {
        long t0 = System.nanoTime();
        Dataset eval = plan.eval();
        int classCount = eval.classes().size();
        int[] labels = eval.examples().stream().mapToInt(Dataset.Example::label).toArray();
        int[] all = range(eval.examples().size());

        EvaluationReport.ZeroShot zeroShot = plan.zeroShot() ? zeroShot(eval, all, labels) : null;

        EvaluationReport.LinearProbe linear = null;
        Map<String, EvaluationReport.FewShot> fewShot = null;
        Integer trainExamples = null;
        if (plan.linearProbe() || !plan.fewShotK().isEmpty()) {
            // one pass per split: the multi-block rows hold the pooled feature too (the last block's pair)
            ModelRegistry.Output probeOutput = plan.probeBlocks() > 0 ? ModelRegistry.Output.lastBlocks(plan.probeBlocks())
                    : FEATURES;
            float[][] evalProbe = rows(eval, all, probeOutput);
            float[][] trainProbe = rows(plan.train(), trainIdx, probeOutput);
            float[][] evalFeatures = pooled(evalProbe);
            float[][] trainFeatures = pooled(trainProbe);
            Map<Integer, float[]> featureOf = new LinkedHashMap<>();
            for (int i = 0; i < trainIdx.length; i++) {
                featureOf.put(trainIdx[i], trainFeatures[i]);
            }
            trainExamples = plan.train().examples().size();
            if (plan.linearProbe()) {
                int[] trainLabels = Arrays.stream(trainIdx).map(i -> plan.train().examples().get(i).label()).toArray();
                ProbeFit.Settings s = new ProbeFit.Settings(limits.linearEpochs(), limits.linearBatchSize(), limits.linearMinSteps(),
                        limits.probeLr(), 0, 0);
                float[][] logits = ProbeFit.fitAndScore(device, trainProbe, trainLabels, classCount, evalProbe, s);
                fitDone();
                Scores pooled = null; // multi-block features: the pooled feature's probe beside them, for comparison
                if (plan.probeBlocks() > 0) {
                    pooled = Scores.of(ProbeFit.fitAndScore(device, trainFeatures, trainLabels, classCount, evalFeatures, s),
                            labels, classCount);
                    fitDone();
                }
                String features = plan.probeBlocks() == 0 ? "pooled (" + plan.pooling().name().toLowerCase(java.util.Locale.ROOT) + ")"
                        : "cls and mean tokens of the last " + plan.probeBlocks() + " block" + (plan.probeBlocks() == 1 ? "" : "s");
                linear = new EvaluationReport.LinearProbe(Scores.of(logits, labels, classCount), features,
                        trainProbe.length == 0 ? 0 : trainProbe[0].length, pooled, s.epochs(), s.batchSize(), s.lr());
            }
            if (!plan.fewShotK().isEmpty()) {
                fewShot = new LinkedHashMap<>();
                for (int k : plan.fewShotK()) {
                    List<Double> top1 = new ArrayList<>();
                    for (int seed = 0; seed < plan.seeds(); seed++) {
                        int[] picked = picks.get(k)[seed];
                        float[][] x = Arrays.stream(picked).mapToObj(featureOf::get).toArray(float[][]::new);
                        int[] y = Arrays.stream(picked).map(i -> plan.train().examples().get(i).label()).toArray();
                        ProbeFit.Settings s = new ProbeFit.Settings(1, Math.max(2, picked.length), limits.fewShotSteps(),
                                limits.probeLr(), limits.fewShotWeightDecay(), seed);
                        top1.add(Scores.of(ProbeFit.fitAndScore(device, x, y, classCount, evalFeatures, s), labels,
                                classCount).top1());
                        fitDone();
                    }
                    fewShot.put(Integer.toString(k), new EvaluationReport.FewShot(mean(top1), std(top1), top1));
                }
            }
        }
        return new EvaluationReport(plan.id(), plan.model(), plan.stage(), eval.name(), eval.split(),
                plan.train() == null ? null : plan.train().split(), eval.classes(), eval.examples().size(), trainExamples,
                zeroShot, linear, fewShot, plan.notes(), (System.nanoTime() - t0) / 1e9, Instant.now().toString());
    }

    private EvaluationReport.ZeroShot zeroShot(Dataset eval, int[] all, int[] labels) throws Exception {
        Vocabulary vocabulary = plan.vocabulary();
        List<ClassResolution> resolutions = classes.resolve(eval.classes(), vocabulary);
        List<EvaluationReport.Resolution> resolved = resolutions.stream()
                .map(r -> new EvaluationReport.Resolution(r.getClassName(), r.getSynsetsList(),
                        r.getUnresolvedReason().isEmpty() ? null : r.getUnresolvedReason()))
                .toList();
        if (resolutions.stream().allMatch(r -> r.getSynsetsCount() == 0)) {
            throw new IllegalArgumentException("zero-shot: none of the classes of " + eval.name() + " maps to a synset of "
                    + "vocabulary " + vocabulary.version() + ": " + resolved);
        }
        Map<String, Integer> index = vocabulary.indexBySynset();
        // reduced to the classes chunk by chunk: examples x vocabulary floats would not fit at 100,000 examples
        float[][] perClass = rows(eval, all, ModelRegistry.Output.PROBABILITIES,
                p -> ClassResolver.classProbabilities(p, resolutions, index));
        return new EvaluationReport.ZeroShot(Scores.of(perClass, labels, eval.classes().size()), resolved);
    }

    /** The model's pooled feature out of probe rows (themselves when the probe uses the pooled feature). */
    private float[][] pooled(float[][] probeRows) {
        if (plan.probeBlocks() == 0) {
            return probeRows;
        }
        float[][] out = new float[probeRows.length][];
        for (int i = 0; i < probeRows.length; i++) {
            int d = probeRows[i].length / (2 * plan.probeBlocks());
            int at = probeRows[i].length - (plan.pooling() == VitConfig.Pooling.CLS ? 2 * d : d); // the last block: cls, mean
            out[i] = Arrays.copyOfRange(probeRows[i], at, at + d);
        }
        return out;
    }

    /** The model's output rows for the given examples of a split, in their order. */
    private float[][] rows(Dataset split, int[] indices, ModelRegistry.Output output) throws Exception {
        return rows(split, indices, output, UnaryOperator.identity());
    }

    /** As {@link #rows(Dataset, int[], ModelRegistry.Output)}, each row reduced by {@code reduce} as it arrives. */
    private float[][] rows(Dataset split, int[] indices, ModelRegistry.Output output, UnaryOperator<float[]> reduce)
            throws Exception {
        List<Future<float[][]>> parts = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
        for (int from = 0; from < indices.length; from += chunk) {
            int[] part = Arrays.copyOfRange(indices, from, Math.min(indices.length, from + chunk));
            parts.add(fetchers.submit(() -> {
                List<Image> images = Arrays.stream(part)
                        .mapToObj(i -> Image.newBuilder().setUri(split.examples().get(i).key()).build()).toList();
                float[][] out = forwardWaitingForRoom(images, output, abandoned);
                for (int i = 0; i < out.length; i++) {
                    out[i] = reduce.apply(out[i]);
                }
                imagesDone(part.length);
                return out;
            }));
        }
        float[][] out = new float[indices.length][];
        int at = 0;
        try {
            for (Future<float[][]> f : parts) {
                float[][] r;
                try {
                    r = f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
                System.arraycopy(r, 0, out, at, r.length);
                at += r.length;
            }
        } finally {
            // chunks not begun are dropped; one under way finishes its pass or stops waiting for room, but is
            // not interrupted: an S3 read interrupted mid-body may leave a pooled connection half-read
            abandoned.set(true);
            parts.forEach(f -> f.cancel(false));
        }
        return out;
    }

    /**
     * One chunk's forward pass; while live requests fill the inference queue the chunk waits for room
     * (an evaluation of hours must not fail on one busy moment), up to {@link #QUEUE_PATIENCE}.
     */
    private float[][] forwardWaitingForRoom(List<Image> images, ModelRegistry.Output output,
            java.util.concurrent.atomic.AtomicBoolean abandoned) throws Exception {
        long giveUp = System.nanoTime() + QUEUE_PATIENCE.toNanos();
        long pauseMillis = 20;
        while (true) {
            if (abandoned.get()) {
                throw new java.util.concurrent.CancellationException("the evaluation stopped");
            }
            try {
                return inference.forward(plan.model(), images, null, null, output).rows();
            } catch (ModelRegistry.StoppingException e) {
                throw e;
            } catch (ModelRegistry.OverloadedException e) {
                if (System.nanoTime() > giveUp) {
                    throw new ModelRegistry.OverloadedException(e.getMessage() + " for " + QUEUE_PATIENCE.toMinutes()
                            + " minutes while this evaluation waited");
                }
                Thread.sleep(pauseMillis);
                pauseMillis = Math.min(1000, pauseMillis * 2);
            }
        }
    }

    /** Training examples the probes need: all of them for the linear probe, else the few-shot picks. */
    private int[] trainIndices() {
        if (plan.linearProbe()) {
            return range(plan.train().examples().size());
        }
        TreeSet<Integer> needed = new TreeSet<>();
        for (int[][] perSeed : picks.values()) {
            for (int[] picked : perSeed) {
                for (int i : picked) {
                    needed.add(i);
                }
            }
        }
        return needed.stream().mapToInt(Integer::intValue).toArray();
    }

    /** For every k and seed, k training examples of every class (all of a class when it has fewer). */
    private void pickFewShot() {
        List<Dataset.Example> examples = plan.train().examples();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < plan.train().classes().size(); c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < examples.size(); i++) {
            byClass.get(examples.get(i).label()).add(i);
        }
        for (int k : plan.fewShotK()) {
            int[][] perSeed = new int[plan.seeds()][];
            for (int seed = 0; seed < plan.seeds(); seed++) {
                Random r = new Random(31L * seed + k);
                List<Integer> picked = new ArrayList<>();
                for (List<Integer> members : byClass) {
                    List<Integer> shuffled = new ArrayList<>(members);
                    java.util.Collections.shuffle(shuffled, r);
                    picked.addAll(shuffled.subList(0, Math.min(k, shuffled.size())));
                }
                perSeed[seed] = picked.stream().mapToInt(Integer::intValue).toArray();
            }
            picks.put(k, perSeed);
        }
    }

    private synchronized void imagesDone(int n) {
        imagesDone += n;
        report();
    }

    private synchronized void fitDone() {
        fitsDone++;
        report();
    }

    private void report() {
        double images = imagesTotal == 0 ? 1 : imagesDone / (double) imagesTotal;
        double fits = fitsTotal == 0 ? 1 : fitsDone / (double) fitsTotal;
        progress.accept(Math.min(1.0, 0.9 * images + 0.1 * fits));
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (0 for a single seed). */
    private static double std(List<Double> xs) {
        if (xs.size() < 2) {
            return 0;
        }
        double m = mean(xs);
        return Math.sqrt(xs.stream().mapToDouble(x -> (x - m) * (x - m)).sum() / (xs.size() - 1));
    }
}
