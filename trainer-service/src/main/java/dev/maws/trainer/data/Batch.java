package dev.maws.trainer.data;

/**
 * A training batch ready for the step.
 *
 * @param pixels n images of (C, S, S) floats, normalised, image after image
 * @param labels per image its vocabulary indices (WSP), null for MAE
 * @param indices per image its place in its epoch's stream: what seeds anything random about the
 *     sample (its MAE mask), so it does not depend on which batch or process the sample is in
 * @param position where the data stands once this batch is trained on
 */
public record Batch(float[] pixels, int size, int[][] labels, long[] indices, DataPosition position) {}
