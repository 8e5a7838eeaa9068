package dev.maws.label.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

import dev.maws.label.Labeler;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.proto.v1.SynsetEvidence;

/**
 * A serialized {@link LabeledImage}, written straight from a labelling result: the bytes the
 * generated builder's {@code toByteArray()} gives (fields in number order, empty singular ones left out),
 * without building the message first. On the Kafka path building and serializing the message cost
 * as much as the labelling itself: a builder and an evidence message per label, and every string
 * encoded twice (once to size it, once to write it) by protobuf's char-by-char encoder, where here
 * each is encoded once by the JDK's. {@code LabeledImageBytesTest} checks the bytes against the
 * builder's.
 */
final class LabeledImageBytes {
    private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;

    private LabeledImageBytes() {}

    static byte[] of(ByteString imageId, ByteString imageUri, ByteString caption, Labeler.Result result, String labelerVersion) {
        List<String> hashtags = result.hashtags();
        List<Labeler.Label> labels = result.labels();
        byte[][] tags = new byte[hashtags.size()][];
        int size = bytesSize(LabeledImage.IMAGE_ID_FIELD_NUMBER, imageId) + bytesSize(LabeledImage.IMAGE_URI_FIELD_NUMBER, imageUri)
                + bytesSize(LabeledImage.CAPTION_FIELD_NUMBER, caption);
        for (int i = 0; i < tags.length; i++) {
            tags[i] = utf8(hashtags.get(i));
            size += CodedOutputStream.computeByteArraySize(LabeledImage.HASHTAGS_FIELD_NUMBER, tags[i]); // repeated: even empty
        }
        // per label: synset, lemma, hashtag
        byte[][] evidence = new byte[labels.size() * 3][];
        int[] evidenceSizes = new int[labels.size()];
        float[] scores = new float[labels.size()];
        for (int i = 0; i < labels.size(); i++) {
            Labeler.Label l = labels.get(i);
            scores[i] = (float) l.score();
            byte[] synset = utf8(l.synset());
            byte[] lemma = utf8(l.lemma());
            byte[] hashtag = utf8(l.hashtag());
            evidence[3 * i] = synset;
            evidence[3 * i + 1] = lemma;
            evidence[3 * i + 2] = hashtag;
            evidenceSizes[i] = arraySize(SynsetEvidence.SYNSET_FIELD_NUMBER, synset)
                    + arraySize(SynsetEvidence.LEMMA_FIELD_NUMBER, lemma) + arraySize(SynsetEvidence.HASHTAG_FIELD_NUMBER, hashtag)
                    + (isDefault(scores[i]) ? 0 : CodedOutputStream.computeFloatSize(SynsetEvidence.SCORE_FIELD_NUMBER, scores[i]));
            size += CodedOutputStream.computeByteArraySize(LabeledImage.SYNSETS_FIELD_NUMBER, synset)
                    + CodedOutputStream.computeTagSize(LabeledImage.EVIDENCE_FIELD_NUMBER)
                    + CodedOutputStream.computeUInt32SizeNoTag(evidenceSizes[i]) + evidenceSizes[i];
        }
        byte[] version = utf8(labelerVersion);
        size += arraySize(LabeledImage.LABELER_VERSION_FIELD_NUMBER, version);

        byte[] out = new byte[size];
        CodedOutputStream w = CodedOutputStream.newInstance(out);
        try {
            writeBytes(w, LabeledImage.IMAGE_ID_FIELD_NUMBER, imageId);
            writeBytes(w, LabeledImage.IMAGE_URI_FIELD_NUMBER, imageUri);
            for (int i = 0; i < labels.size(); i++) {
                w.writeByteArray(LabeledImage.SYNSETS_FIELD_NUMBER, evidence[3 * i]);
            }
            for (byte[] tag : tags) {
                w.writeByteArray(LabeledImage.HASHTAGS_FIELD_NUMBER, tag);
            }
            writeBytes(w, LabeledImage.CAPTION_FIELD_NUMBER, caption);
            for (int i = 0; i < labels.size(); i++) {
                w.writeTag(LabeledImage.EVIDENCE_FIELD_NUMBER, LENGTH_DELIMITED);
                w.writeUInt32NoTag(evidenceSizes[i]);
                writeArray(w, SynsetEvidence.SYNSET_FIELD_NUMBER, evidence[3 * i]);
                writeArray(w, SynsetEvidence.LEMMA_FIELD_NUMBER, evidence[3 * i + 1]);
                writeArray(w, SynsetEvidence.HASHTAG_FIELD_NUMBER, evidence[3 * i + 2]);
                if (!isDefault(scores[i])) {
                    w.writeFloat(SynsetEvidence.SCORE_FIELD_NUMBER, scores[i]);
                }
            }
            writeArray(w, LabeledImage.LABELER_VERSION_FIELD_NUMBER, version);
            w.checkNoSpaceLeft();
        } catch (IOException e) { // only if the sizes above were wrong: a bug, not bad input
            throw new IllegalStateException("LabeledImage size miscomputed", e);
        }
        return out;
    }

    /** proto3 leaves out a float field of +0.0 only (-0.0 and NaN are written), as the generated code does. */
    private static boolean isDefault(float value) {
        return Float.floatToRawIntBits(value) == 0;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int bytesSize(int field, ByteString value) {
        return value.isEmpty() ? 0 : CodedOutputStream.computeBytesSize(field, value);
    }

    private static int arraySize(int field, byte[] value) {
        return value.length == 0 ? 0 : CodedOutputStream.computeByteArraySize(field, value);
    }

    private static void writeBytes(CodedOutputStream w, int field, ByteString value) throws IOException {
        if (!value.isEmpty()) {
            w.writeBytes(field, value);
        }
    }

    private static void writeArray(CodedOutputStream w, int field, byte[] value) throws IOException {
        if (value.length != 0) {
            w.writeByteArray(field, value);
        }
    }
}
