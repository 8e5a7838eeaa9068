package dev.maws.e2e;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Step 6: {@code report.json} (the shape other tools read), {@code report.html} (loss curves of
 * the two WSP runs on one plot, accuracy bars, MAE reconstructions) and a table on the console.
 */
final class Report {
    static final List<String> RUNS = List.of("wsp", "mae_wsp", "mae");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MAX_CURVE_POINTS = 400;

    private Report() {}

    /** One run's numbers in report.json form. */
    static Map<String, Object> run(JsonNode evaluation, List<double[]> wspCurve, List<double[]> maeCurve, double seconds,
            double imagesPerSecond, String checkpoint, String evaluationKey) {
        Map<String, Object> r = new LinkedHashMap<>();
        JsonNode zs = evaluation.get("zero_shot");
        r.put("zero_shot_top1", zs.isNull() ? null : zs.get("top1").asDouble());
        r.put("linear_probe_top1", evaluation.get("linear_probe").get("top1").asDouble());
        Map<String, Object> fewShot = new LinkedHashMap<>();
        evaluation.get("few_shot").fields().forEachRemaining(e -> fewShot.put(e.getKey(),
                Map.of("mean", e.getValue().get("mean").asDouble(), "std", e.getValue().get("std").asDouble())));
        r.put("few_shot", fewShot);
        r.put("wsp_loss_curve", wspCurve == null ? null : thin(wspCurve));
        r.put("train_seconds", round(seconds));
        r.put("images_per_second", round(imagesPerSecond));
        r.put("zero_shot_top5", zs.isNull() ? null : zs.get("top5").asDouble());
        r.put("linear_probe_per_class_recall", evaluation.get("linear_probe").get("per_class_recall"));
        r.put("linear_probe_features", evaluation.get("linear_probe").get("features").asText());
        JsonNode pooled = evaluation.get("linear_probe").get("pooled");
        r.put("linear_probe_pooled_top1", pooled == null || pooled.isNull() ? null : pooled.get("top1").asDouble());
        r.put("mae_loss_curve", maeCurve == null ? null : thin(maeCurve));
        r.put("checkpoint", checkpoint);
        r.put("evaluation_report", evaluationKey);
        return r;
    }

    /** Writes report.json and report.html; returns the report as written. */
    static JsonNode write(Path out, Map<String, Object> report, List<Reconstructions.Row> reconstructions) throws Exception {
        JsonNode tree = JSON.valueToTree(report);
        Files.createDirectories(out);
        Files.write(out.resolve("report.json"), JSON.writeValueAsBytes(tree));
        Files.writeString(out.resolve("report.html"), html(tree, reconstructions), StandardCharsets.UTF_8);
        return tree;
    }

    /** The console table. */
    static String table(JsonNode report) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-8s %10s %12s %14s %14s %14s %14s %9s %8s%n", "run", "zero-shot", "linear probe",
                "probe (pooled)", "1-shot", "5-shot", "10-shot", "train s", "img/s"));
        for (String name : RUNS) {
            JsonNode r = report.get("runs").get(name);
            b.append(String.format("%-8s %10s %12s %14s %14s %14s %14s %9.0f %8.0f%n", name, pct(r.get("zero_shot_top1")),
                    pct(r.get("linear_probe_top1")), pct(r.get("linear_probe_pooled_top1")), shot(r, "1"), shot(r, "5"),
                    shot(r, "10"), r.get("train_seconds").asDouble(), r.get("images_per_second").asDouble()));
        }
        JsonNode first = report.get("runs").get(RUNS.get(0)).get("linear_probe_features");
        if (first != null && !first.isNull()) {
            b.append("linear probe: ").append(first.asText()).append("; probe (pooled): the pooled feature alone\n");
        }
        return b.toString();
    }

    private static String pct(JsonNode v) {
        return v == null || v.isNull() ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v.asDouble());
    }

    private static String shot(JsonNode run, String k) {
        JsonNode s = run.get("few_shot").get(k);
        return String.format(Locale.ROOT, "%.2f±%.2f%%", 100 * s.get("mean").asDouble(), 100 * s.get("std").asDouble());
    }

    /** At most MAX_CURVE_POINTS points, evenly spaced, the last one kept. */
    static List<double[]> thin(List<double[]> curve) {
        if (curve.size() <= MAX_CURVE_POINTS) {
            return curve;
        }
        List<double[]> out = new ArrayList<>();
        double stride = curve.size() / (double) MAX_CURVE_POINTS;
        for (int i = 0; i < MAX_CURVE_POINTS - 1; i++) {
            out.add(curve.get((int) (i * stride)));
        }
        out.add(curve.get(curve.size() - 1));
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static String html(JsonNode r, List<Reconstructions.Row> reconstructions) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>MAWS pipeline report</title><style>")
                .append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                .append("th:first-child,td:first-child{text-align:left}img{image-rendering:pixelated}</style></head><body>");
        h.append("<h1>MAWS local pipeline — preset ").append(esc(r.get("preset").asText())).append("</h1>");
        JsonNode d = r.get("dataset");
        JsonNode n = r.get("noise");
        if (d.hasNonNull("warning")) {
            h.append("<p style=\"background:#fdd;border:2px solid #c00;padding:8px;font-weight:bold\">")
                    .append(esc(d.get("warning").asText())).append("</p>");
        }
        if (d.hasNonNull("kind")) { // a user's corpus, with its own captions
            JsonNode i = d.get("import");
            h.append("<p>").append(d.get("train_images").asLong()).append(" training samples of the WebDataset corpus <b>")
                    .append(esc(d.get("name").asText())).append("</b> (").append(esc(d.get("source").asText())).append(", ")
                    .append(i.get("shards").asInt()).append(" shards stored as ").append(esc(d.get("stored_as").asText()))
                    .append("; ").append(i.get("skipped_total").asLong()).append(" samples skipped: ")
                    .append(esc(i.get("skipped").toString())).append("), labelled from their own captions");
        } else {
            h.append("<p>").append(d.get("train_images").asInt()).append(" training and ").append(d.get("test_images").asInt())
                    .append(" test images of Fashion-MNIST from the ").append(esc(d.get("source").asText()))
                    .append(". Captions with the class hashtag at p=").append(n.get("p").asDouble())
                    .append(", a wrong-class hashtag at q=").append(n.get("q").asDouble()).append(" (seed ")
                    .append(n.get("seed").asLong()).append(")");
        }
        JsonNode set = r.get("evaluation_set");
        if (set != null && set.hasNonNull("warning") && !d.hasNonNull("warning")) {
            h.append("</p><p style=\"background:#fdd;border:2px solid #c00;padding:8px;font-weight:bold\">")
                    .append(esc(set.get("warning").asText()));
        }
        h.append("; vocabulary of ").append(r.get("vocab_size").asInt()).append(" synsets")
                .append(set == null ? "" : "; evaluated on " + esc(set.get("name").asText()) + " (" + esc(set.get("source").asText())
                        + ")")
                .append(". Finished ").append(esc(r.get("finished_at").asText())).append(" after ")
                .append(Math.round(r.get("seconds").asDouble())).append(" s.</p>");
        h.append("<h2>Accuracy on the test split</h2><pre>").append(esc(table(r))).append("</pre>");
        h.append(bars(r));
        h.append("<h2>WSP training loss</h2>").append(curves(r));
        h.append("<h2>Labelling</h2><table>");
        r.get("labelling").fields().forEachRemaining(e -> {
            if (!e.getValue().isObject()) {
                h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(e.getValue().asText()))
                        .append("</td></tr>");
            }
        });
        h.append("</table>");
        if (!reconstructions.isEmpty()) {
            h.append("<h2>MAE reconstructions (75 % of patches removed)</h2><table><tr><th>class</th><th>original</th>")
                    .append("<th>masked</th><th>reconstruction</th></tr>");
            JsonNode classes = set != null && !d.hasNonNull("classes") ? set.get("classes") : d.get("classes");
            for (Reconstructions.Row row : reconstructions) {
                h.append("<tr><td>").append(esc(classes.get(row.label()).asText())).append("</td>");
                for (String src : List.of(row.original(), row.masked(), row.reconstructed())) {
                    h.append("<td><img src=\"").append(src).append("\"></td>");
                }
                h.append("</tr>");
            }
            h.append("</table>");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String curves(JsonNode r) {
        int w = 900;
        int ht = 360;
        int pad = 50;
        double maxStep = 1;
        double minLoss = Double.MAX_VALUE;
        double maxLoss = -Double.MAX_VALUE;
        for (String name : List.of("wsp", "mae_wsp")) {
            for (JsonNode p : r.get("runs").get(name).get("wsp_loss_curve")) {
                maxStep = Math.max(maxStep, p.get(0).asDouble());
                minLoss = Math.min(minLoss, p.get(1).asDouble());
                maxLoss = Math.max(maxLoss, p.get(1).asDouble());
            }
        }
        if (maxLoss <= minLoss) {
            maxLoss = minLoss + 1;
        }
        StringBuilder s = new StringBuilder();
        s.append("<svg width=\"").append(w).append("\" height=\"").append(ht).append("\" xmlns=\"http://www.w3.org/2000/svg\">");
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", pad, ht - pad,
                w - 10, ht - pad));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", pad, pad, ht - pad));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">step (max %.0f)</text>", w / 2,
                ht - 15, maxStep));
        s.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"20\" font-size=\"12\">%.2f</text>", maxLoss));
        s.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"%d\" font-size=\"12\">%.2f</text>", ht - pad, minLoss));
        String[] colors = {"#d62728", "#1f77b4"};
        int c = 0;
        for (String name : List.of("wsp", "mae_wsp")) {
            StringBuilder pts = new StringBuilder();
            for (JsonNode p : r.get("runs").get(name).get("wsp_loss_curve")) {
                double x = pad + (w - 10 - pad) * p.get(0).asDouble() / maxStep;
                double y = 10 + (ht - pad - 10) * (maxLoss - p.get(1).asDouble()) / (maxLoss - minLoss);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            s.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(colors[c]).append("\" points=\"")
                    .append(pts).append("\"/>");
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"%s\">%s</text>", w - 200,
                    30 + 18 * c, colors[c], name.equals("wsp") ? "WSP from scratch" : "MAE → WSP"));
            c++;
        }
        return s.append("</svg>").toString();
    }

    private static String bars(JsonNode r) {
        List<String> metrics = List.of("zero-shot", "linear", "1-shot", "5-shot", "10-shot");
        String[] colors = {"#d62728", "#1f77b4", "#2ca02c"};
        int groupW = 170;
        int ht = 260;
        StringBuilder s = new StringBuilder("<svg width=\"" + (groupW * metrics.size() + 60) + "\" height=\"" + (ht + 60)
                + "\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (int m = 0; m < metrics.size(); m++) {
            for (int k = 0; k < RUNS.size(); k++) {
                JsonNode run = r.get("runs").get(RUNS.get(k));
                JsonNode v = switch (m) {
                    case 0 -> run.get("zero_shot_top1");
                    case 1 -> run.get("linear_probe_top1");
                    default -> run.get("few_shot").get(List.of("1", "5", "10").get(m - 2)).get("mean");
                };
                double value = v == null || v.isNull() ? 0 : v.asDouble();
                int x = 40 + m * groupW + k * 45;
                int bh = (int) Math.round(value * ht);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"40\" height=\"%d\" fill=\"%s\"/>", x,
                        10 + ht - bh, bh, colors[k]));
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>", x, 5 + ht - bh,
                        v == null || v.isNull() ? "n/a" : String.format(Locale.ROOT, "%.1f", 100 * value)));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\">%s</text>", 40 + m * groupW + 30,
                    ht + 30, metrics.get(m)));
        }
        for (int k = 0; k < RUNS.size(); k++) {
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"%s\">%s</text>",
                    40 + k * 120, ht + 52, colors[k], RUNS.get(k)));
        }
        return s.append("</svg>").toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
