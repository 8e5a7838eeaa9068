package dev.maws.label.ingest;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Outgoing;
import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;

import dev.maws.label.Labeler;
import dev.maws.label.api.CaptionLimits;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.CaptionRecord;
import dev.maws.proto.v1.LabeledImage;
import dev.maws.proto.v1.SynsetEvidence;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.Record;

/**
 * captions -> labeled-images. Each CaptionRecord is labelled and published under the same key (the
 * image id), so a redelivery after a restart replaces the record in the compacted topic instead of
 * adding one. The input offset is committed only once the output is acknowledged (the connector's
 * ack chain). A record that cannot be parsed or breaks a limit is nacked with the reason and goes to
 * {@code captions.dlq} with its original bytes (the connector's dead-letter strategy).
 */
@ApplicationScoped
public class CaptionProcessor {
    /** Labelling pipeline version carried in every output record. */
    public static final String LABELER_VERSION = "wn30-dp-1";
    private static final Logger LOG = Logger.getLogger(CaptionProcessor.class);

    private final Labeler labeler;
    private final CaptionLimits limits;
    private final MeterRegistry metrics;
    private final ObjectStore store;
    // one WARN line per interval however many records go to the DLQ (DeadLetterLogFilter drops the
    // connector's ERROR per record)
    private final DeadLetterSummary deadLetters = new DeadLetterSummary(10_000_000_000L, System::nanoTime,
            (count, reason) -> LOG.warnf("%d caption record(s) sent to captions.dlq since the last report; the latest "
                    + "because: %s", count, reason));

    CaptionProcessor(Labeler labeler, CaptionLimits limits, MeterRegistry metrics, ObjectStore store) {
        this.labeler = labeler;
        this.limits = limits;
        this.metrics = metrics;
        this.store = store;
    }

    /**
     * A payload method: the connector chains the output's acknowledgement to the input (the offset is
     * committed after labeled-images acknowledged the write), and an exception nacks the input,
     * which the dead-letter strategy sends to captions.dlq with the exception's message as reason.
     */
    @Incoming("captions")
    @Outgoing("labeled-images")
    @Blocking
    public Record<String, byte[]> process(byte[] value) {
        LabeledImage out;
        try {
            out = label(value);
        } catch (IllegalArgumentException e) {
            metrics.counter("maws_captions_rejected_total").increment();
            deadLetters.record(e.getMessage());
            throw e;
        }
        metrics.counter("maws_captions_labeled_total").increment();
        return Record.of(out.getImageId(), out.toByteArray());
    }

    /** @throws IllegalArgumentException with the reason a record is unusable */
    LabeledImage label(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("empty record value; expected a maws.v1.CaptionRecord");
        }
        CaptionRecord record;
        try {
            record = CaptionRecord.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a maws.v1.CaptionRecord: " + e.getMessage());
        }
        String id = record.getImageId();
        if (id.isEmpty() || id.length() > 256 || id.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("image_id must be 1-256 characters without control characters");
        }
        String uri = record.getImageUri();
        // The trainer reads images from the platform bucket only: a record naming another bucket
        // would be labelled here and then fail there as a missing image, so it is refused here.
        store.keyOf(uri);
        limits.checkCaption(record.getCaption(), "caption");
        Labeler.Result result = labeler.label(record.getCaption());
        LabeledImage.Builder b = LabeledImage.newBuilder().setImageId(id).setImageUri(uri).setCaption(record.getCaption())
                .addAllHashtags(result.hashtags()).setLabelerVersion(LABELER_VERSION);
        for (Labeler.Label l : result.labels()) {
            b.addSynsets(l.synset());
            b.addEvidence(SynsetEvidence.newBuilder().setSynset(l.synset()).setLemma(l.lemma()).setHashtag(l.hashtag())
                    .setScore((float) l.score()));
        }
        return b.build();
    }
}
