package dev.maws.inference.api;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import jakarta.inject.Singleton;

import dev.maws.inference.models.ModelRegistry;
import dev.maws.inference.zeroshot.ClassResolver;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.proto.v1.ClassProbabilities;
import dev.maws.proto.v1.ClassResolution;
import dev.maws.proto.v1.ClassifyRequest;
import dev.maws.proto.v1.ClassifyResponse;
import dev.maws.proto.v1.Classification;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.EmbedResponse;
import dev.maws.proto.v1.Embedding;
import dev.maws.proto.v1.ModelInfo;
import dev.maws.proto.v1.ScoredSynset;
import dev.maws.proto.v1.ZeroShotRequest;
import dev.maws.proto.v1.ZeroShotResponse;

/** What Embed, Classify and ZeroShot do, shared by gRPC and REST (same messages, same errors). */
@Singleton
public class Inference {
    /** Most zero-shot classes in one request. */
    static final int MAX_CLASSES = 1000;

    private final ModelRegistry models;
    private final ImageInputs inputs;
    private final ClassResolver classes;

    Inference(ModelRegistry models, ImageInputs inputs, ClassResolver classes) {
        this.models = models;
        this.inputs = inputs;
        this.classes = classes;
    }

    public EmbedResponse embed(EmbedRequest request) throws Exception {
        inputs.checkCount(request.getImagesList());
        VitConfig.Pooling pooling = switch (request.getPooling()) {
            case POOLING_CLS -> VitConfig.Pooling.CLS;
            case POOLING_MEAN -> VitConfig.Pooling.MEAN;
            case POOLING_UNSPECIFIED -> null;
            default -> throw new IllegalArgumentException("pooling must be POOLING_CLS, POOLING_MEAN or unset");
        };
        ModelRegistry.Loaded m = models.load(request.getModel());
        float[] px = inputs.pixels(request.getImagesList(), m);
        float[][] vectors = models.forward(m, ModelRegistry.Output.features(pooling, request.getNormalize()), px,
                request.getImagesCount());
        EmbedResponse.Builder out = EmbedResponse.newBuilder().setModel(m.reference());
        for (float[] v : vectors) {
            Embedding.Builder e = Embedding.newBuilder();
            for (float f : v) {
                e.addValues(f);
            }
            out.addEmbeddings(e);
        }
        return out.build();
    }

    public ClassifyResponse classify(ClassifyRequest request) throws Exception {
        inputs.checkCount(request.getImagesList());
        if (request.getTopK() < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = 5), got " + request.getTopK());
        }
        ModelRegistry.Loaded m = models.load(request.getModel());
        if (!m.model().hasHead()) {
            throw new IllegalArgumentException("model " + m.reference() + " is an " + m.model().manifest().stage()
                    + " checkpoint without a classification head; use a WSP checkpoint");
        }
        Vocabulary vocabulary = m.vocabulary();
        int k = request.getTopK() == 0 ? Math.min(5, vocabulary.size()) : request.getTopK();
        if (k > vocabulary.size()) {
            throw new IllegalArgumentException("top_k " + k + " is larger than the vocabulary (" + vocabulary.size() + ")");
        }
        float[][] probs = models.forward(m, ModelRegistry.Output.PROBABILITIES, inputs.pixels(request.getImagesList(), m),
                request.getImagesCount());
        ClassifyResponse.Builder out = ClassifyResponse.newBuilder().setModel(m.reference());
        for (float[] p : probs) {
            Classification.Builder c = Classification.newBuilder();
            IntStream.range(0, p.length).boxed().sorted(Comparator.comparingDouble((Integer i) -> -p[i])).limit(k)
                    .forEach(i -> {
                        Vocabulary.Entry e = vocabulary.entries().get(i);
                        c.addSynsets(ScoredSynset.newBuilder().setSynset(e.synset())
                                .setLemma(e.lemmas().isEmpty() ? "" : e.lemmas().get(0)).setProbability(p[i]));
                    });
            out.addResults(c);
        }
        return out.build();
    }

    public ZeroShotResponse zeroShot(ZeroShotRequest request) throws Exception {
        inputs.checkCount(request.getImagesList());
        if (request.getClassesCount() < 2) {
            throw new IllegalArgumentException("classes needs at least two class names or synset ids, got "
                    + request.getClassesCount());
        }
        if (request.getClassesCount() > MAX_CLASSES) {
            throw new IllegalArgumentException(request.getClassesCount() + " classes; at most " + MAX_CLASSES);
        }
        ModelRegistry.Loaded m = models.load(request.getModel());
        if (!m.model().hasHead()) {
            throw new IllegalArgumentException("zero-shot needs a WSP checkpoint; " + m.reference() + " is "
                    + m.model().manifest().stage());
        }
        List<ClassResolution> resolutions = classes.resolve(request.getClassesList(), m.vocabulary());
        if (resolutions.stream().allMatch(r -> r.getSynsetsCount() == 0)) {
            throw new IllegalArgumentException("none of the classes maps to a synset of vocabulary " + m.vocabulary().version()
                    + ": " + resolutions.stream().map(ClassResolution::getUnresolvedReason).toList());
        }
        Map<String, Integer> index = m.vocabulary().indexBySynset();
        float[][] probs = models.forward(m, ModelRegistry.Output.PROBABILITIES, inputs.pixels(request.getImagesList(), m),
                request.getImagesCount());
        ZeroShotResponse.Builder out = ZeroShotResponse.newBuilder().setModel(m.reference()).addAllResolutions(resolutions);
        for (float[] p : probs) {
            ClassProbabilities.Builder cp = ClassProbabilities.newBuilder();
            for (float x : ClassResolver.classProbabilities(p, resolutions, index)) {
                cp.addProbabilities(x);
            }
            out.addResults(cp);
        }
        return out.build();
    }

    /** Rows of a model's output for images given as encoded bytes or as prepared pixels. */
    public record Rows(ModelRegistry.Loaded model, float[][] rows) {}

    /**
     * @param images encoded images, or null when {@code pixels} holds prepared images of {@code shape}
     * @param shape  [N, C, H, W] of {@code pixels}; must be [N, channels, side, side] of the model
     *               (unlike encoded images, raw pixels are not converted: a wrong channel count is refused)
     */
    public Rows forward(String model, List<dev.maws.proto.v1.Image> images, float[] pixels, long[] shape,
            ModelRegistry.Output output) throws Exception {
        ModelRegistry.Loaded m = models.load(model);
        if (output.probabilities() && !m.model().hasHead()) {
            throw new IllegalArgumentException("model " + m.reference() + " is an " + m.model().manifest().stage()
                    + " checkpoint without a classification head; use a WSP checkpoint");
        }
        float[] px;
        int n;
        if (images != null) {
            px = inputs.pixels(images, m);
            n = images.size();
        } else {
            VitConfig c = m.model().config();
            long[] expected = {shape.length > 0 ? shape[0] : 0, c.channels(), c.imageSize(), c.imageSize()};
            if (!Arrays.equals(shape, expected) || shape[0] < 1 || shape[0] > inputs.maxImages()
                    || pixels.length != shape[0] * c.channels() * c.imageSize() * c.imageSize()) {
                throw new IllegalArgumentException("pixels must be [N, " + c.channels() + ", " + c.imageSize() + ", "
                        + c.imageSize() + "] for model " + m.reference() + " with 1 <= N <= " + inputs.maxImages()
                        + " (maws.inference.max-images-per-request), normalised as in training; got "
                        + Arrays.toString(shape));
            }
            px = pixels;
            n = (int) shape[0];
        }
        return new Rows(m, models.forward(m, output, px, n));
    }

    static ModelInfo info(ModelRegistry.Loaded m, String state) {
        return ModelInfo.newBuilder().setReference(m.reference()).setStage(m.model().manifest().stage()).setState(state)
                .setVocabularyVersion(m.vocabulary() == null ? "" : m.vocabulary().version())
                .setEmbeddingSize(m.model().config().width()).build();
    }
}
