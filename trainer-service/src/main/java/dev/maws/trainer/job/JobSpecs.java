package dev.maws.trainer.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Singleton;

import dev.maws.model.checkpoint.CheckpointManifest;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.tensor.TensorEngine;
import dev.maws.platform.vocabulary.Vocabulary;
import dev.maws.platform.vocabulary.VocabularyStore;
import dev.maws.proto.v1.AugmentationConfig;
import dev.maws.proto.v1.JobSpec;
import dev.maws.proto.v1.Stage;
import dev.maws.trainer.TrainerConfig;
import dev.maws.platform.checkpoint.CheckpointCatalog;

/**
 * Checks a {@link JobSpec} up front and fills in its defaults: every problem is collected, so a
 * client fixes its spec in one round trip, and nothing is queued that cannot run (unknown
 * vocabulary or checkpoint, a device this node lacks, an encoder that does not match the
 * checkpoint it starts from).
 */
@Singleton
public class JobSpecs {
    /** MAE's base learning rate (blr 1.5e-4, lr = blr * batch / 256). */
    public static final double MAE_BASE_LR = 1.5e-4;
    /** WSP's base learning rate: a fresh head learns faster than MAE's pixel decoder. */
    public static final double WSP_BASE_LR = 1e-3;
    public static final double DEFAULT_MASK_RATIO = 0.75;

    /** Largest model dimensions accepted (a typo should not allocate a terabyte). */
    private static final int MAX_IMAGE_SIZE = 1024;
    private static final int MAX_WIDTH = 8192;
    private static final int MAX_DEPTH = 128;

    /** A spec that can run: defaults filled in, the model config resolved. */
    public record Accepted(JobSpec spec, VitConfig model, Vocabulary vocabulary, CheckpointCatalog.Entry initFrom) {}

    private final TrainerConfig config;
    private final VocabularyStore vocabularies;
    private final CheckpointCatalog checkpoints;
    private final TensorEngine engine;

    JobSpecs(TrainerConfig config, VocabularyStore vocabularies, CheckpointCatalog checkpoints, TensorEngine engine) {
        this.config = config;
        this.vocabularies = vocabularies;
        this.checkpoints = checkpoints;
        this.engine = engine;
    }

    /** @throws InvalidSpecException listing every problem */
    public Accepted accept(JobSpec spec) {
        List<String> p = new ArrayList<>();
        JobSpec.Builder b = spec.toBuilder();
        boolean mae = spec.getStage() == Stage.STAGE_MAE;
        boolean wsp = spec.getStage() == Stage.STAGE_WSP;
        if (!mae && !wsp) {
            p.add("stage must be STAGE_MAE or STAGE_WSP");
        }

        CheckpointCatalog.Entry init = null;
        if (!spec.getInitFrom().isEmpty()) {
            try {
                init = checkpoints.resolve(spec.getInitFrom());
                b.setInitFrom(init.reference()); // "{job}/latest" pinned to the step it means now
            } catch (IllegalArgumentException | IOException e) {
                p.add("init_from: " + e.getMessage());
            }
        }

        VitConfig model = null;
        if (spec.hasModel()) {
            try {
                model = ModelConfigs.toVit(spec.getModel());
            } catch (IllegalArgumentException e) {
                p.add("model." + e.getMessage());
            }
        } else if (!spec.getPreset().isEmpty()) {
            try {
                model = VitConfig.preset(spec.getPreset());
            } catch (IllegalArgumentException e) {
                p.add("preset: " + e.getMessage());
            }
        } else if (init != null) {
            model = init.manifest().model(); // continue with the checkpoint's architecture
        } else {
            p.add("preset or model is required (presets: tiny-28, vit-s/16, vit-b/16, vit-l/16, vit-h/14)");
        }
        if (model != null) {
            List<String> modelProblems = model.problems();
            modelProblems.forEach(m -> p.add("model: " + m));
            if (modelProblems.isEmpty()) {
                if (model.imageSize() > MAX_IMAGE_SIZE) {
                    p.add("model: image_size must be <= " + MAX_IMAGE_SIZE + ", got " + model.imageSize());
                }
                if (model.width() > MAX_WIDTH || model.decoderWidth() > MAX_WIDTH) {
                    p.add("model: width and decoder_width must be <= " + MAX_WIDTH);
                }
                if (model.depth() > MAX_DEPTH || model.decoderDepth() > MAX_DEPTH) {
                    p.add("model: depth and decoder_depth must be <= " + MAX_DEPTH);
                }
                b.setModel(ModelConfigs.toProto(model));
            }
            if (init != null && !ModelConfigs.sameEncoder(model, init.manifest().model())) {
                p.add("init_from " + init.reference() + " has a different encoder (" + describe(init.manifest().model())
                        + ") than the job's model (" + describe(model) + ")");
            }
        }

        Vocabulary vocabulary = null;
        if (wsp) {
            if (spec.getVocabularyVersion().isEmpty()) {
                p.add("vocabulary_version is required for WSP (freeze one with label-service's FreezeVocabulary)");
            } else {
                try {
                    Optional<Vocabulary> v = vocabularies.find(spec.getVocabularyVersion());
                    if (v.isEmpty()) {
                        p.add("vocabulary_version " + spec.getVocabularyVersion() + " does not exist (no vocab/"
                                + spec.getVocabularyVersion() + ".json)");
                    } else if (v.get().size() < 2) {
                        p.add("vocabulary " + spec.getVocabularyVersion() + " has " + v.get().size()
                                + " synsets; a WSP head needs at least 2");
                    } else {
                        vocabulary = v.get();
                    }
                } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
                    p.add("vocabulary_version: " + e.getMessage());
                }
            }
            if (!(spec.getLabelSmoothing() >= 0 && spec.getLabelSmoothing() < 1)) {
                p.add("label_smoothing must be in [0, 1), got " + spec.getLabelSmoothing());
            }
            if (init != null && "WSP".equals(init.manifest().stage()) && vocabulary != null
                    && !vocabulary.version().equals(init.manifest().vocabularyVersion())) {
                p.add("init_from " + init.reference() + " is a WSP checkpoint of vocabulary "
                        + init.manifest().vocabularyVersion() + ", not " + vocabulary.version()
                        + " (start from an MAE checkpoint to train a new head)");
            }
        } else if (mae) {
            b.clearVocabularyVersion().clearLabelSmoothing();
            if (init != null && !"MAE".equals(init.manifest().stage())) {
                p.add("init_from " + init.reference() + " is a " + init.manifest().stage()
                        + " checkpoint; an MAE job continues only from an MAE checkpoint");
            } else if (init != null && model != null && !sameDecoder(model, init.manifest().model())) {
                VitConfig d = init.manifest().model(); // MAE from MAE copies the decoder too
                p.add("init_from " + init.reference() + " has a different decoder (width " + d.decoderWidth() + ", depth "
                        + d.decoderDepth() + ", heads " + d.decoderHeads() + ") than the job's model (width "
                        + model.decoderWidth() + ", depth " + model.decoderDepth() + ", heads " + model.decoderHeads() + ")");
            }
            double mask = spec.getMaskRatio() == 0 ? DEFAULT_MASK_RATIO : spec.getMaskRatio();
            if (!(mask > 0 && mask < 1)) {
                p.add("mask_ratio must be in (0, 1), got " + spec.getMaskRatio());
            }
            b.setMaskRatio(mask);
        }

        double maxEpochs = config.limits().maxEpochs();
        if (!(spec.getEpochs() > 0 && spec.getEpochs() <= maxEpochs)) {
            p.add("epochs must be in (0, " + maxEpochs + "], got " + spec.getEpochs());
        }
        int maxBatch = config.limits().maxBatchSize();
        if (spec.getBatchSize() <= 0 || spec.getBatchSize() > maxBatch) {
            p.add("batch_size must be in [1, " + maxBatch + "] (maws.trainer.limits.max-batch-size), got " + spec.getBatchSize());
        } else if (model != null && model.problems().isEmpty() && model.imageSize() <= MAX_IMAGE_SIZE) {
            batchMemoryProblem(spec.getBatchSize(), model).ifPresent(p::add);
        }
        if (!(spec.getBaseLr() >= 0 && spec.getBaseLr() < 1)) {
            p.add("base_lr must be in [0, 1) (0 = the stage default), got " + spec.getBaseLr());
        } else if (spec.getBaseLr() == 0) {
            b.setBaseLr(mae ? MAE_BASE_LR : WSP_BASE_LR);
        }
        if (!(spec.getWeightDecay() >= 0 && spec.getWeightDecay() < 10)) {
            p.add("weight_decay must be in [0, 10), got " + spec.getWeightDecay());
        }
        if (!(spec.getWarmupEpochs() >= 0) || spec.getWarmupEpochs() > spec.getEpochs()) {
            p.add("warmup_epochs must be in [0, epochs], got " + spec.getWarmupEpochs());
        }
        if (spec.getCheckpointEverySteps() < 0) {
            p.add("checkpoint_every_steps must be >= 0 (0 = only at the end), got " + spec.getCheckpointEverySteps());
        }
        int maxName = config.limits().maxDisplayNameLength();
        if (spec.getDisplayName().length() > maxName) {
            p.add("display_name must be at most " + maxName + " characters, got " + spec.getDisplayName().length());
        }

        AugmentationConfig a = spec.getAugmentation();
        if (a.getRandomResizedCrop()) {
            AugmentationConfig.Builder ab = a.toBuilder();
            if (a.getMinScale() == 0 && a.getMaxScale() == 0) {
                ab.setMinScale(0.2).setMaxScale(1.0); // the paper's range
            }
            if (!(ab.getMinScale() > 0 && ab.getMinScale() <= ab.getMaxScale() && ab.getMaxScale() <= 1)) {
                p.add("augmentation: need 0 < min_scale <= max_scale <= 1, got " + a.getMinScale() + " and " + a.getMaxScale());
            }
            b.setAugmentation(ab);
        }

        // one process a device: processes defaults to the devices of the device setting ("gpu": every local GPU)
        String device = spec.getDevice().isEmpty() ? config.defaultDevice().orElse(engine.device()) : spec.getDevice();
        int devices = 1;
        try {
            devices = engine.runtime().devices(device).size();
            b.setDevice(device);
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        int processes = spec.getProcesses() == 0 ? devices : spec.getProcesses();
        int maxProcesses = config.limits().maxProcesses();
        if (processes < 1 || processes > maxProcesses) {
            p.add("processes must be in [1, " + maxProcesses + "] (maws.trainer.limits.max-processes; 0 = one a device), got "
                    + spec.getProcesses());
        } else {
            b.setProcesses(processes);
            if (spec.getBatchSize() > 0 && spec.getBatchSize() % processes != 0) {
                p.add("batch_size " + spec.getBatchSize() + " is not a multiple of processes " + processes
                        + ": every process takes an equal share of each step");
            }
        }
        if (processes > 1 && device.startsWith("gpu:")) {
            p.add("device " + device + " names one GPU, but the job's " + processes + " processes take one GPU each: use "
                    + "\"gpu\" (process r takes the GPU of its local rank) or \"cpu\"");
        }

        if (!p.isEmpty()) {
            throw new InvalidSpecException(p);
        }
        return new Accepted(b.build(), model, vocabulary, init);
    }

    /**
     * A batch is one float array in the input pipeline, and prefetch-batches of them wait while one is
     * assembled and one is in the step: a batch that cannot exist, or whose copies do not fit the heap,
     * is refused here rather than failing the job (or the JVM) at its first batch.
     */
    private Optional<String> batchMemoryProblem(int batchSize, VitConfig model) {
        long floats = (long) batchSize * model.channels() * model.imageSize() * model.imageSize();
        if (floats > Integer.MAX_VALUE - 8) {
            return Optional.of("batch_size " + batchSize + " of " + model.channels() + "x" + model.imageSize() + "x"
                    + model.imageSize() + " images is " + floats + " floats, more than one batch array can hold ("
                    + (Integer.MAX_VALUE - 8) + "); lower batch_size");
        }
        // prefetch-batches ready, one being assembled, one in the step, and up to prefetch-batches + 1 batches of
        // decoded images in the fetch window (BatchPipeline): 2 * prefetch-batches + 3 in all
        // and, streaming shards, a shuffle buffer of encoded images
        long batches = 2L * config.data().prefetchBatches() + 3;
        long buffer = config.data().streamShards() ? config.data().shuffleBufferMb() << 20 : 0;
        long held = floats * Float.BYTES * batches;
        long heap = Runtime.getRuntime().maxMemory();
        if (held + buffer > heap / 2) {
            return Optional.of("batch_size " + batchSize + ": the input pipeline would hold " + (held >> 20) + " MB of batches ("
                    + batches + " of " + (floats * Float.BYTES >> 20) + " MB, 2 x maws.trainer.data.prefetch-batches + 3)"
                    + (buffer > 0 ? " and a shuffle buffer of up to " + (buffer >> 20) + " MB (maws.trainer.data.shuffle-buffer-mb)"
                            : "") + ", more than half the trainer's heap of " + (heap >> 20) + " MB; lower batch_size or "
                    + "prefetch-batches" + (buffer > 0 ? " or shuffle-buffer-mb" : "") + ", or give the JVM more heap (-Xmx)");
        }
        return Optional.empty();
    }

    private static boolean sameDecoder(VitConfig a, VitConfig b) {
        return a.decoderWidth() == b.decoderWidth() && a.decoderDepth() == b.decoderDepth()
                && a.decoderHeads() == b.decoderHeads();
    }

    private static String describe(VitConfig c) {
        return c.imageSize() + "px/" + c.patchSize() + ", " + c.channels() + " ch, width " + c.width() + ", depth "
                + c.depth() + ", heads " + c.heads();
    }
}
