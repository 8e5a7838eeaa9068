package dev.maws.inference.evaluation;

/**
 * How well per-class scores (logits or probabilities, higher = more likely) match the labels.
 *
 * @param top1 fraction of examples whose best class is the label
 * @param top5 fraction whose label is among the five best; null with five classes or fewer
 * @param perClassRecall for each class, the fraction of its examples predicted as it (null: the class has no examples)
 * @param confusion confusion[label][predicted] = examples
 */
public record Scores(double top1, Double top5, Double[] perClassRecall, int[][] confusion) {

    /** @param scores one row of {@code classes} scores per example */
    public static Scores of(float[][] scores, int[] labels, int classes) {
        if (scores.length != labels.length || scores.length == 0) {
            throw new IllegalArgumentException(scores.length + " score rows for " + labels.length + " labels");
        }
        int[][] confusion = new int[classes][classes];
        int top1 = 0;
        int top5 = 0;
        for (int i = 0; i < scores.length; i++) {
            float[] row = scores[i];
            int predicted = 0;
            int label = labels[i];
            int better = 0; // classes ranked above the label: scored higher, or as high and earlier, as argmax breaks ties
            for (int c = 0; c < classes; c++) {
                predicted = row[c] > row[predicted] ? c : predicted;
                better += row[c] > row[label] || (row[c] == row[label] && c < label) ? 1 : 0;
            }
            confusion[labels[i]][predicted]++;
            top1 += predicted == labels[i] ? 1 : 0;
            top5 += better < 5 ? 1 : 0;
        }
        Double[] recall = new Double[classes];
        for (int c = 0; c < classes; c++) {
            int n = 0;
            for (int p = 0; p < classes; p++) {
                n += confusion[c][p];
            }
            recall[c] = n == 0 ? null : confusion[c][c] / (double) n;
        }
        return new Scores(top1 / (double) scores.length, classes > 5 ? top5 / (double) scores.length : null, recall,
                confusion);
    }
}
