package dev.maws.label.ingest;

import static io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue.DEAD_LETTER_EXCEPTION_CLASS_NAME;
import static io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue.DEAD_LETTER_OFFSET;
import static io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue.DEAD_LETTER_PARTITION;
import static io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue.DEAD_LETTER_REASON;
import static io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue.DEAD_LETTER_TOPIC;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;

import dev.maws.label.LabelConfig;
import dev.maws.label.Labeler;
import dev.maws.label.api.CaptionLimits;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.LabeledImage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaProducer;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/**
 * captions -> labeled-images, one poll's batch of records per call. Each CaptionRecord is labelled and
 * published under the same key (the image id), so a redelivery after a restart replaces the record in
 * the compacted topic instead of adding one. A record that cannot be parsed, breaks a limit or fails
 * in any other way goes to {@code captions.dlq} with its original bytes, key and headers and the
 * reason in {@code dead-letter-reason}: the headers of SmallRye's own dead-letter strategy, by its
 * constants, so consumers of captions.dlq see no difference from it.
 *
 * <p>Why batches, and why the records go straight to the channels' producers: per record, SmallRye's
 * message machinery (a worker hand-off, an ack chain, a tracked offset, the sink's per-message
 * pipeline) cost many times the labelling itself (BENCHMARKS.md, label). Here a whole poll is
 * labelled in one worker call, each result is handed to the Kafka producer that the connector built
 * for the outgoing channel (its {@code mp.messaging.outgoing.*} settings: acks=all, idempotent), and
 * the batch is acknowledged, which lets the throttled commit strategy commit its offsets, only once
 * the broker has acknowledged every output and dead-letter record of it (asynchronously: the next
 * batch is labelled meanwhile). If a send fails (the broker unreachable past the producer's delivery
 * timeout, or the producer closed), the batch is nacked, the channel fails and the liveness probe
 * restarts the service, which then reads the batch again.
 */
@ApplicationScoped
public class CaptionProcessor {
    /** Labelling pipeline version carried in every output record. */
    public static final String LABELER_VERSION = "wn30-dp-1";
    private static final String OUTPUT = "labeled-images";
    private static final String IMAGES = "images/";
    private static final String DEAD_LETTERS = "captions-dlq";
    /** On a dead letter whose value was cut to maws.label.dead-letter-max-value-bytes: the original size. */
    public static final String DEAD_LETTER_VALUE_BYTES = "dead-letter-value-bytes";
    /** On a dead letter whose key was cut to {@link #DEAD_LETTER_MAX_KEY_BYTES}: the original size. */
    public static final String DEAD_LETTER_KEY_BYTES = "dead-letter-key-bytes";
    /** On a dead letter that could not carry the record's own headers: how many, and their bytes. */
    public static final String DEAD_LETTER_HEADERS_DROPPED = "dead-letter-headers-dropped";
    /** The key and the record's headers of a dead letter are bounded as its value is: all of it must fit one request. */
    static final int DEAD_LETTER_MAX_KEY_BYTES = 4096;
    static final int DEAD_LETTER_MAX_HEADER_BYTES = 65536;
    /** Our own headers (reason cut to this many characters, topic, partition, offset, class). */
    static final int DEAD_LETTER_MAX_REASON_CHARS = 2000;
    private static final Logger LOG = Logger.getLogger(CaptionProcessor.class);

    private final Labeler labeler;
    private final CaptionLimits limits;
    private final int deadLetterMaxValueBytes;
    private final ObjectStore store;
    private final KafkaClientService clients;
    private final String outputTopic;
    private final String deadLetterTopic;
    private final Counter labeledCount;
    private final Counter rejectedCount;
    // one WARN line per interval however many records go to the DLQ
    private final DeadLetterSummary deadLetters = new DeadLetterSummary(10_000_000_000L, System::nanoTime,
            (count, reason) -> LOG.warnf("%d caption record(s) sent to captions.dlq since the last report; the latest "
                    + "because: %s", count, reason));
    private volatile Producer<String, byte[]> outputProducer;
    private volatile Producer<byte[], byte[]> deadLetterProducer;

    /**
     * The two emitters are not sent through: injecting them is what makes the connector create the
     * outgoing channels, and with them the configured producers this class sends with.
     */
    CaptionProcessor(Labeler labeler, CaptionLimits limits, LabelConfig config, MeterRegistry metrics, ObjectStore store,
            KafkaClientService clients, @Channel(OUTPUT) Emitter<byte[]> outputChannel,
            @Channel(DEAD_LETTERS) Emitter<byte[]> deadLetterChannel,
            @ConfigProperty(name = "mp.messaging.outgoing." + OUTPUT + ".topic", defaultValue = OUTPUT) String outputTopic,
            @ConfigProperty(name = "mp.messaging.outgoing." + DEAD_LETTERS + ".topic", defaultValue = DEAD_LETTERS)
            String deadLetterTopic,
            @ConfigProperty(name = "mp.messaging.outgoing." + DEAD_LETTERS + ".max.request.size", defaultValue = "1048576")
            int deadLetterMaxRequestBytes) {
        long largest = (long) config.deadLetterMaxValueBytes() + DEAD_LETTER_MAX_KEY_BYTES + DEAD_LETTER_MAX_HEADER_BYTES
                + 4L * DEAD_LETTER_MAX_REASON_CHARS + 4096;
        if (largest > deadLetterMaxRequestBytes) { // a dead letter that cannot be sent would stop the channel
            throw new IllegalStateException("maws.label.dead-letter-max-value-bytes=" + config.deadLetterMaxValueBytes()
                    + " leaves no room in mp.messaging.outgoing." + DEAD_LETTERS + ".max.request.size="
                    + deadLetterMaxRequestBytes + " for the key, headers and reason of a dead letter (up to " + largest
                    + " bytes in all)");
        }
        this.labeler = labeler;
        this.limits = limits;
        this.deadLetterMaxValueBytes = config.deadLetterMaxValueBytes();
        this.store = store;
        this.clients = clients;
        this.outputTopic = outputTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.labeledCount = metrics.counter("maws_captions_labeled_total");
        this.rejectedCount = metrics.counter("maws_captions_rejected_total");
    }

    /**
     * Labels every record of the batch, hands each result (or dead letter) to the producer and
     * acknowledges the batch once the broker has acknowledged all of them.
     */
    @Incoming("captions")
    @Blocking
    public Uni<Void> process(KafkaRecordBatch<byte[], byte[]> batch) {
        BatchAcks acks = new BatchAcks();
        int labeled = 0;
        int rejected = 0;
        for (KafkaRecord<byte[], byte[]> record : batch) {
            Labelled out;
            try {
                out = label(record.getPayload());
            } catch (RuntimeException e) {
                // IllegalArgumentException is the expected kind (its message is the reason); anything
                // else is a bug, but one record must not stop the stream
                deadLetter(record, e, acks);
                rejected++;
                continue;
            }
            labeled++;
            output().send(new ProducerRecord<>(outputTopic, out.imageId(), out.value()), acks.expectOne());
        }
        // The next batch is labelled while this one's acknowledgements are on their way (waiting for
        // them would cap the rate at one poll per linger + round trip); the producer's buffer.memory
        // bounds what is in flight, and the commit strategy commits only acknowledged batches, in order.
        int labeledInBatch = labeled;
        int rejectedInBatch = rejected;
        acks.allSent().whenComplete((ignored, failure) -> {
            if (failure == null) {
                // counted once the broker has them: a batch read again after a failure counts once
                labeledCount.increment(labeledInBatch);
                rejectedCount.increment(rejectedInBatch);
                batch.ack();
            } else {
                LOG.errorf(failure, "writing a batch of %d labelled records failed; stopping the channel so that a "
                        + "restart reads it again", batch.getRecords().size());
                batch.nack(failure);
            }
        });
        return Uni.createFrom().voidItem();
    }

    private void deadLetter(KafkaRecord<byte[], byte[]> record, RuntimeException e, BatchAcks acks) {
        String reason = e instanceof IllegalArgumentException && e.getMessage() != null ? e.getMessage() : e.toString();
        if (reason.length() > DEAD_LETTER_MAX_REASON_CHARS) {
            reason = reason.substring(0, DEAD_LETTER_MAX_REASON_CHARS) + "...";
        }
        long offset = record.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getOffset)
                .orElse(-1L);
        if (!(e instanceof IllegalArgumentException)) {
            LOG.errorf(e, "labelling record %s-%d@%d failed; sent to captions.dlq", record.getTopic(), record.getPartition(),
                    offset);
        }
        deadLetters.record(reason);
        byte[] value = record.getPayload() == null ? new byte[0] : record.getPayload();
        int keep = deadLetterMaxValueBytes;
        // key and headers bounded too: a record under the broker's limit compressed may be far over it whole
        // (as the bytes it came with: a key that is not UTF-8 reaches the dead letter unchanged)
        byte[] keyBytes = record.getKey();
        boolean cutKey = keyBytes != null && keyBytes.length > DEAD_LETTER_MAX_KEY_BYTES;
        byte[] key = cutKey ? Arrays.copyOf(keyBytes, DEAD_LETTER_MAX_KEY_BYTES) : keyBytes;
        long headerBytes = 0;
        int headerCount = 0;
        for (org.apache.kafka.common.header.Header h : record.getHeaders()) {
            headerBytes += h.key().length() * 4L + (h.value() == null ? 0 : h.value().length);
            headerCount++;
        }
        boolean dropHeaders = headerBytes > DEAD_LETTER_MAX_HEADER_BYTES;
        ProducerRecord<byte[], byte[]> dead = new ProducerRecord<>(deadLetterTopic, null, key,
                value.length > keep ? Arrays.copyOf(value, keep) : value,
                dropHeaders ? new org.apache.kafka.common.header.internals.RecordHeaders() : record.getHeaders());
        if (cutKey) {
            dead.headers().add(header(DEAD_LETTER_KEY_BYTES, Integer.toString(keyBytes.length)));
        }
        if (dropHeaders) {
            dead.headers().add(header(DEAD_LETTER_HEADERS_DROPPED, headerCount + " headers, " + headerBytes + " bytes"));
        }
        if (value.length > keep) {
            // it arrived compressed or near the broker's limit: whole, it could not be sent on and would
            // stop the channel at every restart
            dead.headers().add(header(DEAD_LETTER_VALUE_BYTES, Integer.toString(value.length)));
        }
        dead.headers().add(header(DEAD_LETTER_REASON, reason));
        dead.headers().add(header(DEAD_LETTER_EXCEPTION_CLASS_NAME, e.getClass().getName()));
        dead.headers().add(header(DEAD_LETTER_TOPIC, record.getTopic()));
        dead.headers().add(header(DEAD_LETTER_PARTITION, Integer.toString(record.getPartition())));
        dead.headers().add(header(DEAD_LETTER_OFFSET, Long.toString(offset)));
        deadLetters().send(dead, acks.expectOne());
    }

    private Producer<String, byte[]> output() {
        if (outputProducer == null) {
            outputProducer = producerOf(OUTPUT);
        }
        return outputProducer;
    }

    private Producer<byte[], byte[]> deadLetters() {
        if (deadLetterProducer == null) {
            deadLetterProducer = producerOf(DEAD_LETTERS);
        }
        return deadLetterProducer;
    }

    private <K> Producer<K, byte[]> producerOf(String channel) {
        KafkaProducer<K, byte[]> producer = clients.getProducer(channel);
        if (producer == null) {
            throw new IllegalStateException("no Kafka producer for the outgoing channel " + channel);
        }
        return producer.unwrap();
    }

    private static RecordHeader header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A record's image id (its output key) and its serialized {@link LabeledImage}. */
    record Labelled(String imageId, byte[] value) {}

    /** @throws IllegalArgumentException with the reason a record is unusable */
    Labelled label(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("empty record value; expected a maws.v1.CaptionRecord");
        }
        CaptionFields record;
        try {
            record = CaptionFields.parse(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a maws.v1.CaptionRecord: " + e.getMessage());
        }
        String id = record.imageId().toStringUtf8();
        if (id.isEmpty() || id.length() > 256 || hasControlCharacter(id)) {
            throw new IllegalArgumentException("image_id must be 1-256 characters without control characters");
        }
        // The trainer reads images from the platform bucket's images/ objects and shards/ members only
        // (records.proto): a record naming anything else would be labelled here and then fail there.
        checkImageUri(record.imageUri().toStringUtf8());
        String caption = record.caption().toStringUtf8();
        limits.checkLength(caption, "caption");
        Labeler.Result result = labeler.label(caption);
        return new Labelled(id, LabeledImageBytes.of(record.imageId(), record.imageUri(), record.caption(), result, LABELER_VERSION));
    }

    /** An {@code images/...} object of the platform bucket, or a {@link ShardMember} under {@code shards/}. */
    private void checkImageUri(String uri) {
        if (ShardMember.isMember(uri)) {
            ShardMember.parse(uri); // its message says what is wrong
            return;
        }
        String key = store.keyOf(uri);
        if (!key.startsWith(IMAGES)) {
            throw new IllegalArgumentException("image_uri must name an object under " + IMAGES + " or a shard member "
                    + ShardMember.PREFIX + "{dataset}/{shard}.tar#{key} of the platform bucket, got "
                    + (key.length() > 100 ? key.substring(0, 100) + "..." : key));
        }
    }

    private static boolean hasControlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }
}
