package dev.maws.model.checkpoint;

import java.util.Map;

import dev.maws.model.vit.VitConfig;

/**
 * {@code manifest.json}: everything needed to use or resume a checkpoint, and the sha256 of each of
 * its files. Written last: a checkpoint without a manifest does not exist.
 *
 * @param stage "MAE" or "WSP"
 * @param vocabularySize WSP head size (0 for MAE)
 * @param vocabularyVersion frozen vocabulary of the WSP head ("" for MAE)
 * @param metrics loss, learning rate, ... at this step
 * @param data where the training data stood (Kafka offsets per partition, epoch boundaries, ...)
 * @param files file name -> sha256 (hex) and size; filled in by {@link Checkpoint#save}
 */
public record CheckpointManifest(
        int format,
        String stage,
        VitConfig model,
        int vocabularySize,
        String vocabularyVersion,
        long step,
        double epoch,
        Map<String, Double> metrics,
        Map<String, Object> data,
        Map<String, FileEntry> files,
        String createdAt) {

    public static final int FORMAT = 1;

    /** One file of the checkpoint. */
    public record FileEntry(String sha256, long bytes) {}

    public CheckpointManifest withFiles(Map<String, FileEntry> files, String createdAt) {
        return new CheckpointManifest(format, stage, model, vocabularySize, vocabularyVersion, step, epoch, metrics, data,
                files, createdAt);
    }
}
