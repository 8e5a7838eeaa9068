package dev.maws.e2e;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.devstack.fashion.FashionMnist;

/**
 * The whole recipe on one machine: import Fashion-MNIST, weak captions, labelling, three trainings
 * (WSP from scratch, MAE, MAE → WSP), evaluations, report. Every service is a separate process
 * talked to over Kafka, S3 and gRPC, as in a cluster.
 */
public final class Pipeline {
    /** What to run and where. */
    public record Options(Preset preset, CaptionGenerator.Noise noise, Path root, Path state, Path out, Path eval) {
        /** Without a user's evaluation set ({@code --eval}): Fashion-MNIST's test split. */
        public Options(Preset preset, CaptionGenerator.Noise noise, Path root, Path state, Path out) {
            this(preset, noise, root, state, out, null);
        }
    }

    private Pipeline() {}

    /** Runs everything and returns report.json's content; stops every process it started. */
    public static JsonNode run(Options o, Progress progress) throws Exception {
        long t0 = System.nanoTime();
        Preset preset = o.preset();
        progress.say("preset " + preset.name() + ": starting the devstack and the three services (state in " + o.state()
                + ", logs in " + o.state().resolve("logs") + ")");
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        try (LocalPlatform platform = new LocalPlatform(o.root(), o.state(), token)) {
            platform.startAll();
            progress.say("platform ready: " + LocalPlatform.SERVICES.stream().map(s -> s + " " + platform.url(s)).toList());

            FashionImport.Imported data = FashionImport.run(platform.store(), preset, o.state(), progress);
            ImageFolderImport.Imported eval = o.eval() == null ? null : ImageFolderImport.run(platform.store(), o.eval(), progress);
            String evalDataset = eval == null ? FashionImport.DATASET : ImageFolderImport.DATASET;
            Labelling.Result labels = Labelling.run(platform, data, new CaptionGenerator(o.noise()), preset, progress);
            String vocabulary = labels.vocabulary().getVersion();

            Training training = new Training(platform, preset, progress);
            Training.Trained mae = training.run("mae", training.mae(), preset.killServices());
            Training.Trained wsp = training.run("wsp", training.wsp(vocabulary, "", "wsp from scratch"), false);
            Training.Trained maeWsp = training.run("mae_wsp",
                    training.wsp(vocabulary, mae.job().getLastCheckpoint(), "wsp from mae"), false);

            Evaluating evaluating = new Evaluating(platform, preset, evalDataset, progress);
            Map<String, JsonNode> evaluations = new LinkedHashMap<>();
            evaluations.put("wsp", evaluating.run("wsp", wsp.job().getLastCheckpoint()));
            evaluations.put("mae_wsp", evaluating.run("mae_wsp", maeWsp.job().getLastCheckpoint()));
            evaluations.put("mae", evaluating.run("mae", mae.job().getLastCheckpoint()));

            List<Reconstructions.Row> reconstructions = Reconstructions.of(platform.store(), o.state().resolve("djl-cache"),
                    mae.job().getId(), mae.job().getStep(), data.test(), Math.min(8, data.testImages()));

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("preset", preset.name());
            Map<String, Object> dataset = new LinkedHashMap<>(Map.of("name", FashionImport.DATASET, "source", data.source(),
                    "train_images", data.trainImages(), "test_images", data.testImages(), "classes", FashionMnist.CLASS_NAMES));
            if (data.warning() != null) {
                dataset.put("warning", data.warning());
            }
            report.put("dataset", dataset);
            if (eval != null) {
                report.put("evaluation_set", Map.of("name", ImageFolderImport.DATASET, "source", eval.root().toString(),
                        "train_images", eval.trainImages(), "test_images", eval.testImages(), "test_split", eval.testSplit(),
                        "classes", eval.classes(), "skipped", eval.skipped()));
            }
            report.put("noise", Map.of("p", o.noise().p(), "q", o.noise().q(), "seed", o.noise().seed(), "model",
                    "dev.maws.e2e.CaptionGenerator (README: the local pipeline)"));
            report.put("vocab_size", labels.vocabulary().getSize());
            report.put("vocab_version", vocabulary);
            Map<String, Object> runs = new LinkedHashMap<>();
            runs.put("wsp", Report.run(evaluations.get("wsp"), wsp.lossCurve(), null, wsp.seconds(), wsp.imagesPerSecond(),
                    wsp.job().getLastCheckpoint(), key(evaluations.get("wsp"))));
            // MAE → WSP spends the MAE pre-pretraining too: its time and images count both stages
            double maeWspSeconds = mae.seconds() + maeWsp.seconds();
            runs.put("mae_wsp", Report.run(evaluations.get("mae_wsp"), maeWsp.lossCurve(), mae.lossCurve(), maeWspSeconds,
                    (mae.images() + maeWsp.images()) / maeWspSeconds, maeWsp.job().getLastCheckpoint(),
                    key(evaluations.get("mae_wsp"))));
            runs.put("mae", Report.run(evaluations.get("mae"), null, mae.lossCurve(), mae.seconds(), mae.imagesPerSecond(),
                    mae.job().getLastCheckpoint(), key(evaluations.get("mae"))));
            report.put("runs", runs);
            report.put("labelling", labelling(labels));
            report.put("training", Map.of("model", new ObjectMapper().readTree(
                    com.google.protobuf.util.JsonFormat.printer().print(preset.model())), "mae_epochs", preset.maeEpochs(),
                    "wsp_epochs", preset.wspEpochs(), "batch_size", preset.batchSize(), "mae_base_lr", preset.maeBaseLr(),
                    "wsp_base_lr", preset.wspBaseLr(), "trainer_killed_at_checkpoint_step", mae.killedAtCheckpoint(),
                    "trainer_resumed_from_step", mae.resumedFromStep()));
            // the devices the trainer reported for its jobs ("cpu()", "gpu(0)", ...), not an assumption
            String devices = java.util.stream.Stream.of(mae, wsp, maeWsp).map(t -> t.job().getDevice()).distinct()
                    .collect(java.util.stream.Collectors.joining(" "));
            report.put("machine", Map.of("cpus", Runtime.getRuntime().availableProcessors(), "os",
                    System.getProperty("os.name") + " " + System.getProperty("os.arch"), "java",
                    System.getProperty("java.version"), "device", devices));
            report.put("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
            report.put("finished_at", Instant.now().toString());
            JsonNode written = Report.write(o.out(), report, reconstructions);
            progress.say("results on the test split of " + evalDataset + " (" + (eval == null ? data.testImages() : eval.testImages()) + " images):\n" + Report.table(written));
            if (data.warning() != null) {
                progress.say("!".repeat(100) + "\n" + data.warning() + "\n" + "!".repeat(100));
            }
            progress.say("report: " + o.out().resolve("report.json") + " and " + o.out().resolve("report.html"));
            return written;
        }
    }

    private static String key(JsonNode evaluation) {
        return "reports/evaluations/" + evaluation.get("id").asText() + ".json";
    }

    private static Map<String, Object> labelling(Labelling.Result l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("captions", l.captions());
        m.put("malformed_sent", l.malformedSent());
        m.put("dead_lettered", l.deadLettered());
        m.put("labelled", l.labelled());
        m.put("with_true_class", l.withTrueLabel());
        m.put("with_wrong_class", l.withWrongLabel());
        m.put("without_label", l.withoutLabel());
        m.put("keys_seen_twice", l.repeatedKeys());
        m.put("label_service_killed_and_restarted", l.labelServiceKilled());
        m.put("seconds", Math.round(l.seconds() * 100) / 100.0);
        m.put("dead_letter_reasons", l.deadLetterReasons());
        return m;
    }
}
