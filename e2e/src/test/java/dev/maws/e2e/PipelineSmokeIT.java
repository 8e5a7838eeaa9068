package dev.maws.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The smoke preset across real processes (devstack + the three packaged services): a complete
 * report.json with accuracies above chance; malformed captions dead-lettered while the rest is
 * labelled; label-service killed mid-stream and restarted, every caption labelled or dead-lettered
 * exactly once per key (the pipeline itself fails otherwise); the trainer killed mid-job and
 * restarted, the job finishing from its checkpoint.
 */
class PipelineSmokeIT {
    private static final double CHANCE = 0.1; // ten classes

    @Test
    void theWholeRecipeRunsAndReportsAboveChance() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path state = Path.of("target/pipeline-smoke").toAbsolutePath();
        Path out = state.resolve("report");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                System.out.write(b);
                console.write(b);
            }
        }, true);
        JsonNode report = Pipeline.run(new Pipeline.Options(Preset.named("smoke"), new CaptionGenerator.Noise(0.8, 0.15, 42),
                root, state, out), new Progress(tee, false));

        JsonNode written = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(report.get("vocab_version").asText(), written.get("vocab_version").asText(), "the report returned is the one written");
        assertEquals("smoke", written.get("preset").asText());
        assertEquals(500, written.at("/dataset/train_images").asInt());
        assertEquals(0.8, written.at("/noise/p").asDouble());
        assertTrue(written.get("vocab_size").asInt() >= 10, "every class synset is frequent enough");

        JsonNode labelling = written.get("labelling");
        assertEquals(500, labelling.get("labelled").asInt());
        assertEquals(3, labelling.get("dead_lettered").asInt());
        assertTrue(labelling.get("label_service_killed_and_restarted").asBoolean());
        assertTrue(labelling.get("with_true_class").asInt() > 350, labelling.toString());
        long killedAt = written.at("/training/trainer_killed_at_checkpoint_step").asLong();
        assertTrue(killedAt > 0, "the trainer was killed after a checkpoint: " + written.get("training"));
        assertTrue(written.at("/training/trainer_resumed_from_step").asLong() >= killedAt, written.get("training").toString());
        assertEquals("cpu()", written.at("/machine/device").asText());

        for (String run : List.of("wsp", "mae_wsp", "mae")) {
            JsonNode r = written.get("runs").get(run);
            assertTrue(r.get("linear_probe_top1").asDouble() > CHANCE, run + " linear probe " + r.get("linear_probe_top1"));
            assertEquals("cls and mean tokens of the last 2 blocks", r.get("linear_probe_features").asText(), run);
            assertTrue(r.get("linear_probe_pooled_top1").asDouble() > CHANCE, run + " pooled probe " + r);
            for (String k : List.of("1", "5", "10")) {
                assertTrue(r.get("few_shot").get(k).get("mean").asDouble() > CHANCE, run + " " + k + "-shot");
            }
            assertTrue(r.get("train_seconds").asDouble() > 0 && r.get("images_per_second").asDouble() > 0);
        }
        for (String run : List.of("wsp", "mae_wsp")) {
            JsonNode r = written.get("runs").get(run);
            assertTrue(r.get("zero_shot_top1").asDouble() > CHANCE, run + " zero-shot " + r.get("zero_shot_top1"));
            JsonNode curve = r.get("wsp_loss_curve");
            assertTrue(curve.size() > 10);
            assertTrue(curve.get(curve.size() - 1).get(1).asDouble() < curve.get(0).get(1).asDouble(), run + " loss falls");
        }
        assertTrue(written.at("/runs/mae/zero_shot_top1").isNull(), "no zero-shot without a WSP head");
        assertTrue(written.at("/runs/mae/wsp_loss_curve").isNull());

        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<polyline") && html.contains("data:image/png;base64,"), "curves and reconstructions");
        assertFalse(console.toString().isEmpty());
    }
}
