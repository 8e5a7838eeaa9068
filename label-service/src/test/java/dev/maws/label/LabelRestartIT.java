package dev.maws.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import dev.maws.devstack.DevStack;
import dev.maws.devstack.DevStackClients;
import dev.maws.devstack.ServiceProcess;
import dev.maws.proto.v1.CaptionRecord;
import dev.maws.proto.v1.LabeledImage;

/**
 * The packaged label-service killed with SIGKILL while it works through a backlog of captions, then
 * started again: every caption ends up labelled, and where a record was labelled twice (offsets not
 * yet committed at the kill) both copies are the same bytes under the same key, so the compacted
 * topic is as if nothing had happened.
 */
class LabelRestartIT {
    private static final int CAPTIONS = 2000;
    private static final String[] TAGS = {"#okapi", "#GoldenRetriever #dog", "#sneakers", "#beach2024 #sunset", "#geese"};

    @Test
    void aKilledServiceLosesAndDuplicatesNothingObservable() throws Exception {
        Path dir = Path.of("target/devstack-restart-it");
        try (DevStack stack = DevStack.fresh(dir).start()) {
            String kafka = stack.kafkaBootstrapServers();
            List<Map.Entry<String, byte[]>> captions = new ArrayList<>();
            for (int i = 0; i < CAPTIONS; i++) {
                String id = "restart-" + i;
                captions.add(Map.entry(id, CaptionRecord.newBuilder().setImageId(id).setImageUri("images/restart/" + i + ".jpg")
                        .setCaption("photo " + i + " " + TAGS[i % TAGS.length]).build().toByteArray()));
            }
            DevStackClients.produceAll(kafka, DevStack.TOPIC_CAPTIONS, captions);

            int port = ServiceProcess.freePort();
            Process service = start(stack, port, 1);
            try {
                // kill it part-way through the backlog
                List<ConsumerRecord<String, byte[]>> early = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                        r -> true, 300, Duration.ofMinutes(2));
                assertTrue(early.size() >= 300, "labelling started");
                service.destroyForcibly().waitFor();

                service = start(stack, port, 2);
                List<ConsumerRecord<String, byte[]>> all = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES,
                        r -> true, Integer.MAX_VALUE, Duration.ofSeconds(1)); // what is there now
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                while (distinctKeys(all) < CAPTIONS && System.nanoTime() < deadline) {
                    Thread.sleep(1000);
                    all = DevStackClients.consume(kafka, DevStack.TOPIC_LABELED_IMAGES, r -> true, Integer.MAX_VALUE,
                            Duration.ofSeconds(2));
                }
                Map<String, byte[]> byKey = new HashMap<>();
                int duplicates = 0;
                for (ConsumerRecord<String, byte[]> r : all) {
                    byte[] earlier = byKey.putIfAbsent(r.key(), r.value());
                    if (earlier != null) {
                        duplicates++;
                        assertArrayEquals(earlier, r.value(), "the same key must carry the same record: " + r.key());
                    }
                }
                assertEquals(CAPTIONS, byKey.size(), "every caption labelled once the service is back");
                for (int i = 0; i < CAPTIONS; i += 97) {
                    LabeledImage li = LabeledImage.parseFrom(byKey.get("restart-" + i));
                    assertEquals("restart-" + i, li.getImageId());
                    assertEquals("images/restart/" + i + ".jpg", li.getImageUri());
                    assertTrue(li.getSynsetsCount() > 0, li.toString());
                }
                System.out.printf("restart: %d captions, %d records relabelled after the kill%n", CAPTIONS, duplicates);
            } finally {
                service.destroy();
                service.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long distinctKeys(List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().map(ConsumerRecord::key).distinct().count();
    }

    private static Process start(DevStack stack, int port, int run) throws Exception {
        Map<String, String> env = new HashMap<>(stack.environment());
        env.put("MAWS_DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
        return ServiceProcess.start(Path.of("target/quarkus-app/quarkus-run.jar"), env, port,
                Path.of("target/restart-it-label-" + run + ".log"), Duration.ofMinutes(3));
    }
}
