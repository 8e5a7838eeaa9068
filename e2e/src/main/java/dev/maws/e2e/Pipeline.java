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
import dev.maws.platform.corpus.CorpusSource;

/**
 * The whole recipe on one machine: import Fashion-MNIST (or a user's WebDataset corpus), weak
 * captions (generated, or the corpus's own), labelling, three trainings
 * (WSP from scratch, MAE, MAE → WSP), evaluations, report. Every service is a separate process
 * talked to over Kafka, S3 and gRPC, as in a cluster.
 */
public final class Pipeline {
    /** What to run and where. */
    /**
     * What to run and where.
     *
     * @param eval a user's ImageFolder evaluation set ({@code --eval}), or null: Fashion-MNIST's test split
     * @param dataset a user's WebDataset corpus ({@code --dataset}: an absolute local location, or s3://) to train
     *     on with its own captions, or null: Fashion-MNIST with generated captions
     */
    public record Options(Preset preset, CaptionGenerator.Noise noise, Path root, Path state, Path out, Path eval,
            String dataset) {
        /** Fashion-MNIST's training images with generated captions. */
        public Options(Preset preset, CaptionGenerator.Noise noise, Path root, Path state, Path out, Path eval) {
            this(preset, noise, root, state, out, eval, null);
        }

        /** Fashion-MNIST for training and evaluation. */
        public Options(Preset preset, CaptionGenerator.Noise noise, Path root, Path state, Path out) {
            this(preset, noise, root, state, out, null, null);
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

            // Fashion-MNIST: the training set without --dataset, the evaluation set without --eval
            FashionImport.Imported data = o.dataset() != null && o.eval() != null ? null
                    : FashionImport.run(platform.store(), preset, o.state(), progress);
            CorpusImport.Imported corpus = o.dataset() == null ? null : importCorpus(platform, o.dataset(), progress);
            ImageFolderImport.Imported eval = o.eval() == null ? null : ImageFolderImport.run(platform.store(), o.eval(), progress);
            String evalDataset = eval == null ? FashionImport.DATASET : ImageFolderImport.DATASET;
            Labelling.Result labels = Labelling.run(platform, corpus == null
                    ? Labelling.fashion(data, new CaptionGenerator(o.noise())) : Labelling.corpus(corpus), preset, progress);
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

            // of Fashion-MNIST test images, which the 28x28 grayscale model of the presets takes as they are
            boolean fashionInput = preset.model().getImageSize() == FashionMnist.SIDE && preset.model().getChannels() == 1;
            List<Reconstructions.Row> reconstructions = data == null || !fashionInput ? List.of()
                    : Reconstructions.of(platform.store(), o.state().resolve("djl-cache"), mae.job().getId(),
                            mae.job().getStep(), data.test(), Math.min(8, data.testImages()));

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("preset", preset.name());
            if (corpus == null) {
                Map<String, Object> dataset = new LinkedHashMap<>(Map.of("name", FashionImport.DATASET, "source", data.source(),
                        "train_images", data.trainImages(), "test_images", data.testImages(), "classes",
                        FashionMnist.CLASS_NAMES));
                if (data.warning() != null) {
                    dataset.put("warning", data.warning());
                }
                report.put("dataset", dataset);
            } else {
                report.put("dataset", corpusReport(corpus));
            }
            if (eval != null) {
                report.put("evaluation_set", Map.of("name", ImageFolderImport.DATASET, "source", eval.root().toString(),
                        "train_images", eval.trainImages(), "test_images", eval.testImages(), "test_split", eval.testSplit(),
                        "classes", eval.classes(), "skipped", eval.skipped()));
            } else if (corpus != null) {
                Map<String, Object> set = new LinkedHashMap<>(Map.of("name", FashionImport.DATASET, "source", data.source(),
                        "train_images", data.trainImages(), "test_images", data.testImages(), "test_split", "test",
                        "classes", FashionMnist.CLASS_NAMES));
                if (data.warning() != null) {
                    set.put("warning", data.warning());
                }
                report.put("evaluation_set", set);
            }
            if (corpus == null) {
                report.put("noise", Map.of("p", o.noise().p(), "q", o.noise().q(), "seed", o.noise().seed(), "model",
                        "dev.maws.e2e.CaptionGenerator (README: the local pipeline)"));
            }
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
            progress.say((corpus == null ? "" : "trained on the corpus " + corpus.dataset() + " (" + corpus.location() + "); ")
                    + "results on the test split of " + evalDataset + " (" + (eval == null ? data.testImages()
                    : eval.testImages()) + " images):\n" + Report.table(written));
            if (data != null && data.warning() != null) {
                progress.say("!".repeat(100) + "\n" + data.warning() + "\n" + "!".repeat(100));
            }
            progress.say("report: " + o.out().resolve("report.json") + " and " + o.out().resolve("report.html"));
            return written;
        }
    }

    private static String key(JsonNode evaluation) {
        return "reports/evaluations/" + evaluation.get("id").asText() + ".json";
    }

    /** The corpus and its import: where from, what was stored, what was skipped and why, how fast. */
    /** The user's corpus into the platform: local files, or s3:// on the S3 the environment names (AWS_*). */
    private static CorpusImport.Imported importCorpus(LocalPlatform platform, String location, Progress progress) throws Exception {
        CorpusSource source = location.startsWith("s3://") ? CorpusSource.forEnvironment(System.getenv()) : CorpusSource.local();
        try {
            return CorpusImport.run(platform.store(), source, location, CorpusImport.datasetName(location), progress);
        } finally {
            source.close();
        }
    }

    private static Map<String, Object> corpusReport(CorpusImport.Imported c) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", c.dataset());
        d.put("kind", "webdataset");
        d.put("source", c.location());
        d.put("stored_as", "shards/" + c.dataset() + "/");
        d.put("train_images", c.samples());
        Map<String, Object> i = new LinkedHashMap<>();
        i.put("samples", c.samples());
        i.put("shards", c.shards().size());
        i.put("shards_already_imported", c.shardsAlreadyImported());
        i.put("samples_read", c.samplesRead());
        i.put("bytes_read", c.bytesRead());
        i.put("skipped", c.summary().skipped());
        i.put("skipped_total", c.summary().skippedTotal());
        i.put("skipped_examples", c.summary().examples());
        i.put("shards_cut_short", c.summary().shardsCut().stream().map(s -> s.shard() + ": " + s.failure()).toList());
        i.put("members_ignored", c.summary().membersIgnored());
        i.put("metadata_dropped", c.summary().metadataDropped());
        i.put("seconds", Math.round(c.seconds() * 100) / 100.0);
        i.put("samples_per_second", Math.round(c.samplesPerSecond() * 10) / 10.0);
        d.put("import", i);
        return d;
    }

    private static Map<String, Object> labelling(Labelling.Result l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("captions", l.captions());
        m.put("malformed_sent", l.malformedSent());
        m.put("dead_lettered", l.deadLettered());
        m.put("labelled", l.labelled());
        // known for generated captions only: a corpus's samples have no true class
        m.put("with_true_class", l.hasTruth() ? l.withTrueLabel() : null);
        m.put("with_wrong_class", l.hasTruth() ? l.withWrongLabel() : null);
        m.put("without_label", l.withoutLabel());
        m.put("keys_seen_twice", l.repeatedKeys());
        m.put("label_service_killed_and_restarted", l.labelServiceKilled());
        m.put("seconds", Math.round(l.seconds() * 100) / 100.0);
        m.put("dead_letter_reasons", l.deadLetterReasons());
        return m;
    }
}
