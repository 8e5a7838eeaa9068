package dev.maws.inference.api;

import java.util.Comparator;
import java.util.stream.IntStream;

import jakarta.inject.Singleton;

import dev.maws.inference.models.ModelRegistry;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.proto.v1.ClassifyRequest;
import dev.maws.proto.v1.ClassifyResponse;
import dev.maws.proto.v1.Classification;
import dev.maws.proto.v1.EmbedRequest;
import dev.maws.proto.v1.EmbedResponse;
import dev.maws.proto.v1.Embedding;
import dev.maws.proto.v1.ModelInfo;
import dev.maws.proto.v1.ScoredSynset;

/** What Embed and Classify do, shared by gRPC and REST (same messages, same errors). */
@Singleton
public class Inference {
    private final ModelRegistry models;
    private final ImageInputs inputs;

    Inference(ModelRegistry models, ImageInputs inputs) {
        this.models = models;
        this.inputs = inputs;
    }

    public EmbedResponse embed(EmbedRequest request) throws Exception {
        inputs.checkCount(request.getImagesList());
        VitConfig.Pooling pooling = switch (request.getPooling()) {
            case POOLING_CLS -> VitConfig.Pooling.CLS;
            case POOLING_MEAN -> VitConfig.Pooling.MEAN;
            case POOLING_UNSPECIFIED -> null;
            default -> throw new IllegalArgumentException("pooling must be POOLING_CLS, POOLING_MEAN or unset");
        };
        return models.with(request.getModel(), m -> {
            float[] px = inputs.pixels(request.getImagesList(), m);
            float[][] vectors = m.model().embed(px, request.getImagesCount(), pooling, request.getNormalize());
            EmbedResponse.Builder out = EmbedResponse.newBuilder().setModel(m.reference());
            for (float[] v : vectors) {
                Embedding.Builder e = Embedding.newBuilder();
                for (float f : v) {
                    e.addValues(f);
                }
                out.addEmbeddings(e);
            }
            return out.build();
        });
    }

    public ClassifyResponse classify(ClassifyRequest request) throws Exception {
        inputs.checkCount(request.getImagesList());
        if (request.getTopK() < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = 5), got " + request.getTopK());
        }
        return models.with(request.getModel(), m -> {
            if (!m.model().hasHead()) {
                throw new IllegalArgumentException("model " + m.reference() + " is an " + m.model().manifest().stage()
                        + " checkpoint without a classification head; use a WSP checkpoint");
            }
            Vocabulary vocabulary = m.vocabulary();
            int k = request.getTopK() == 0 ? Math.min(5, vocabulary.size()) : request.getTopK();
            if (k > vocabulary.size()) {
                throw new IllegalArgumentException("top_k " + k + " is larger than the vocabulary (" + vocabulary.size() + ")");
            }
            float[][] probs = m.model().probabilities(inputs.pixels(request.getImagesList(), m), request.getImagesCount());
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
        });
    }

    static ModelInfo info(ModelRegistry.Loaded m, String state) {
        return ModelInfo.newBuilder().setReference(m.reference()).setStage(m.model().manifest().stage()).setState(state)
                .setVocabularyVersion(m.vocabulary() == null ? "" : m.vocabulary().version())
                .setEmbeddingSize(m.model().config().width()).build();
    }
}
