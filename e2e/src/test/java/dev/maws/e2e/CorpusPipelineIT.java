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
 * {@code ./maws run --preset smoke --dataset CORPUS --eval DIR --image-size 32 --channels 3 --no-faults}
 * across real processes, on a generated corpus with broken members (three shards, the last cut off)
 * and a generated ImageFolder of four classes: the corpus imported as shards, every good sample's own
 * caption labelled from its shard member, the three RGB models trained on shard members and
 * evaluated, the import's skips by reason in report.json. Smaller than the smoke run: no faults
 * (PipelineSmokeIT has them), fewer epochs.
 */
class CorpusPipelineIT {
    private static final double CHANCE = 0.25; // four classes

    @Test
    void aUsersCorpusRunsThroughTheWholeRecipe() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path state = Path.of("target/pipeline-corpus").toAbsolutePath();
        Path corpus = TestCorpus.small(state.resolve("corpus"));
        Path evalSet = TestCorpus.evalSet(state.resolve("eval"));
        Path out = state.resolve("report");
        Preset preset = Preset.named("smoke").with(null, 2.0, 8.0, false).withInput(32, 3);
        JsonNode report = Pipeline.run(new Pipeline.Options(preset, new CaptionGenerator.Noise(0.8, 0.15, 42), root, state, out,
                evalSet, corpus.toString()), new Progress(new PrintStream(new ByteArrayOutputStream()), false));

        JsonNode written = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(report.get("vocab_version").asText(), written.get("vocab_version").asText());
        JsonNode dataset = written.get("dataset");
        assertEquals("corpus", dataset.get("name").asText());
        assertEquals("webdataset", dataset.get("kind").asText());
        assertEquals(corpus.toString(), dataset.get("source").asText());
        JsonNode imported = dataset.get("import");
        assertEquals(3, imported.get("shards").asInt());
        long samples = imported.get("samples").asLong();
        assertTrue(samples > 410 && samples < 500, imported.toString());
        for (String reason : TestCorpus.SMALL_SKIPS) {
            assertEquals(1, imported.at("/skipped/" + reason).asInt(), reason + ": " + imported);
        }
        assertEquals(1, imported.get("shards_cut_short").size());
        assertTrue(imported.get("samples_per_second").asDouble() > 0);
        assertFalse(written.has("noise"), "no generated captions");

        JsonNode labelling = written.get("labelling");
        assertEquals(samples, labelling.get("captions").asLong());
        assertEquals(samples, labelling.get("labelled").asLong(), labelling.toString());
        assertEquals(3, labelling.get("dead_lettered").asInt(), "the malformed records only");
        assertTrue(labelling.get("with_true_class").isNull(), "a corpus has no true classes");
        assertTrue(written.get("vocab_size").asInt() >= 4, written.get("vocab_size").toString());

        assertEquals("eval", written.at("/evaluation_set/name").asText());
        assertEquals(32, written.at("/training/model/imageSize").asInt(), written.at("/training/model").toString());
        assertEquals(3, written.at("/training/model/channels").asInt());
        for (String run : List.of("wsp", "mae_wsp", "mae")) {
            JsonNode r = written.get("runs").get(run);
            assertTrue(r.get("linear_probe_top1").asDouble() > CHANCE, run + " linear probe " + r.get("linear_probe_top1"));
            assertTrue(r.get("images_per_second").asDouble() > 0);
        }
        for (String run : List.of("wsp", "mae_wsp")) {
            assertTrue(written.get("runs").get(run).get("zero_shot_top1").isNumber(), run + " zero-shot");
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("WebDataset corpus <b>corpus</b>"), "the report says which corpus");
    }
}
