package dev.maws.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.maws.trainer.data.DataPosition;

/** What a checkpoint's manifest says about the data reads back, also from checkpoints of earlier versions. */
class CheckpointDataJsonTest {
    @Test
    void aPositionWrittenBeforeTombstonesWereCountedReadsWithNoneDeleted() {
        // the "position" of a manifest written before DataPosition.Counters had "deleted" (and "duplicates")
        Map<String, Object> old = Map.of("epoch", 2, "begin", Map.of("0", 0, "1", 5), "end", Map.of("0", 100, "1", 90),
                "consumed", 17, "counters", Map.of("images", 1024, "badImages", 3, "badRecords", 1, "unlabelled", 40,
                        "dropped", 12));
        DataPosition p = TrainingRun.JSON.convertValue(old, DataPosition.class);
        assertEquals(new DataPosition.Counters(1024, 3, 1, 40, 12, 0, 0), p.counters());
        assertEquals(185, p.span());
        assertEquals(0, p.records(), "not known: the offset range stands in");
        assertEquals(2 + 17 / 185.0, p.epochs(), 1e-12);
        assertEquals(p, TrainingRun.JSON.convertValue(TrainingRun.JSON.convertValue(p, Map.class), DataPosition.class),
                "and what is written now reads back as it was");
        DataPosition streamed = new DataPosition(1, Map.of(0, 0L), Map.of(0, 90L), 40, DataPosition.Counters.ZERO, 80, 3, 17);
        assertEquals(streamed, TrainingRun.JSON.convertValue(TrainingRun.JSON.convertValue(streamed, Map.class),
                DataPosition.class), "with the shard and sample a streamed epoch reached");
        assertEquals(-1, new DataPosition(1, Map.of(), Map.of(), 0, DataPosition.Counters.ZERO, 0).shard());
    }

    @Test
    void aRunStartedBeforeShardsWereStreamedResumesReadingRecordByRecord() {
        TrainingRun.RunSettings old = TrainingRun.JSON.convertValue(Map.of("topic", "labeled-images", "shuffleBuffer", 10000,
                "skipSuperseded", true), TrainingRun.RunSettings.class);
        assertEquals(false, old.streamShards());
        TrainingRun.RunSettings now = new TrainingRun.RunSettings("labeled-images", 10000, true, true, 4, 128, 0.1);
        assertEquals(now, TrainingRun.JSON.convertValue(TrainingRun.JSON.convertValue(now, Map.class),
                TrainingRun.RunSettings.class));
    }

    @Test
    void aRunStartedBeforeSupersededRecordsWereSkippedResumesWithoutSkippingThem() {
        // its checkpoints' epochs held every record: skipping some now would move its recorded position
        TrainingRun.RunSettings old = TrainingRun.JSON.convertValue(Map.of("topic", "labeled-images", "shuffleBuffer", 10000),
                TrainingRun.RunSettings.class);
        assertEquals(new TrainingRun.RunSettings("labeled-images", 10000, false), old);
        TrainingRun.RunSettings now = new TrainingRun.RunSettings("labeled-images", 10000, true);
        assertEquals(now, TrainingRun.JSON.convertValue(TrainingRun.JSON.convertValue(now, Map.class),
                TrainingRun.RunSettings.class));
        TrainingRun.RunSettings config = new TrainingRun.RunSettings("labeled-images-v2", 500, true);
        assertEquals(old, TrainingRun.RunSettings.resuming(config, Map.of("run_settings",
                Map.of("topic", "labeled-images", "shuffleBuffer", 10000))), "the recorded settings, not the config's");
        // a checkpoint from before run settings were recorded: the config's topic and shuffle, no skipping
        assertEquals(new TrainingRun.RunSettings("labeled-images-v2", 500, false),
                TrainingRun.RunSettings.resuming(config, Map.of("position", Map.of())));
        assertEquals(new TrainingRun.RunSettings("labeled-images-v2", 500, false), TrainingRun.RunSettings.resuming(config, null));
    }
}
