package dev.maws.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import com.google.protobuf.ByteString;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.model.checkpoint.Checkpoint;
import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Parameters;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;
import dev.maws.platform.checkpoint.S3CheckpointFiles;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.EmbedResponse;
import dev.maws.proto.v1.Image;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Checkpoints and a vocabulary written by the model library, as the trainer would, for the tests. */
public final class TestModels {
    public static final VitConfig MODEL = new VitConfig("test", 28, 7, 1, 32, 2, 2, 2.0, 16, 1, 2, VitConfig.Pooling.MEAN);
    public static final String VOCABULARY = "inference-test-v1";

    private TestModels() {}

    /** The ten Fashion-MNIST class synsets, in class order. */
    public static void putVocabulary(VocabularyStore vocabularies) {
        List<Vocabulary.Entry> entries = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            entries.add(new Vocabulary.Entry(FashionMnist.CLASS_SYNSETS.get(c), List.of(FashionMnist.CLASS_HASHTAGS.get(c)), 1));
        }
        vocabularies.put(new Vocabulary(VOCABULARY, "2026-11-26T00:00:00Z", "test", 10, entries));
    }

    /** A freshly initialised MAE or WSP (over {@link #VOCABULARY}) checkpoint {id}/step-{step}. */
    public static void checkpoint(ObjectStore store, String id, long step, String stage, long seed) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, seed)) {
            if (stage.equals("WSP")) {
                new WspClassifier(p, MODEL, 10);
            } else {
                new MaskedAutoencoder(p, MODEL, true);
            }
            Checkpoint.save(new S3CheckpointFiles(store, id, step), p, null, new CheckpointManifest(CheckpointManifest.FORMAT,
                    stage, MODEL, stage.equals("WSP") ? 10 : 0, stage.equals("WSP") ? VOCABULARY : "", step, 0.1, Map.of(),
                    Map.of(), null, null));
        }
    }

    /** A fixture image as request bytes. */
    public static Image png(FashionMnist images, int i) {
        return Image.newBuilder().setData(ByteString.copyFrom(images.png(i))).build();
    }

    /** The i-th embedding of a response. */
    public static float[] values(EmbedResponse r, int i) {
        List<Float> v = r.getEmbeddings(i).getValuesList();
        float[] out = new float[v.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = v.get(k);
        }
        return out;
    }

    public static void assertStatus(Status.Code code, String message, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
    }
}
