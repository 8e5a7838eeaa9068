package dev.maws.e2e;

import dev.maws.proto.v1.AugmentationConfig;
import dev.maws.proto.v1.ModelConfig;

/**
 * How big a pipeline run is. Every run trains the same three things: WSP from scratch, MAE, and
 * WSP from the MAE encoder, with the same WSP budget (epochs, batch, schedule) for both WSP runs.
 *
 * @param trainImages training images imported and captioned (0 = the whole split)
 * @param testImages evaluation images (0 = the whole split)
 * @param fewShotSeeds seeds per few-shot k
 * @param killServices kill label-service mid-stream and the trainer mid-job with SIGKILL and start
 *     them again (the smoke test's faults)
 */
public record Preset(String name, int trainImages, int testImages, ModelConfig model, double maeEpochs,
        double wspEpochs, int batchSize, double maeBaseLr, double wspBaseLr, double warmupEpochs,
        int checkpointEverySteps, int fewShotSeeds, boolean killServices, int processes) {

    /** The model of quick and smoke: a ViT on 28x28 grayscale, 49 patches of 4x4. */
    private static ModelConfig vit28(int width, int depth, int heads, int decoderWidth) {
        return ModelConfig.newBuilder().setImageSize(28).setPatchSize(4).setChannels(1).setWidth(width).setDepth(depth)
                .setHeads(heads).setMlpRatio(4.0).setDecoderWidth(decoderWidth).setDecoderDepth(1).setDecoderHeads(2)
                .setPooling("mean").build();
    }

    public static Preset named(String name) {
        return switch (name) {
            // CI: the committed fixture (500 train, 100 test images), a few seconds of training
            case "smoke" -> new Preset("smoke", 500, 100, vit28(32, 2, 2, 32), 6, 20, 64, 1e-3, 4e-3, 1, 10, 2, true, 1);
            // the default: under 10 minutes on 2 CPU cores
            case "quick" -> new Preset("quick", 6000, 1000, vit28(128, 4, 4, 64), 4, 4, 256, 1.5e-4, 5e-4, 0.5, 0, 3,
                    false, 1);
            // all 60,000 images, the quick model, a long MAE stage (the one that showed the effect on 20k) and
            // a WSP stage long enough for both goals of MAE -> WSP (zero-shot after 5 WSP epochs 83.6 %, 12: 87.3 %,
            // 24: 89.02 %; linear probe 24: 90.48 %; README)
            case "full" -> new Preset("full", 0, 0, vit28(128, 4, 4, 64), 20, 24, 256, 1.5e-4, 5e-4, 1, 500, 5, false, 1);
            default -> throw new IllegalArgumentException("preset must be quick, full or smoke; got \"" + name + "\"");
        };
    }

    /** This preset with some sizes changed (command-line overrides; null keeps the preset's). */
    public Preset with(Integer newTrainImages, Double newMaeEpochs, Double newWspEpochs, Boolean faults) {
        boolean kill = faults == null ? killServices : faults;
        return new Preset(name, newTrainImages == null ? trainImages : newTrainImages, testImages, model,
                newMaeEpochs == null ? maeEpochs : newMaeEpochs, newWspEpochs == null ? wspEpochs : newWspEpochs, batchSize,
                maeBaseLr, wspBaseLr, warmupEpochs, kill && checkpointEverySteps == 0 ? 10 : checkpointEverySteps,
                fewShotSeeds, kill, processes);
    }

    /**
     * This preset with another model input (command-line overrides; null keeps the preset's): any
     * corpus is decoded, converted and resized to it. The patch size stays the preset's and must divide
     * the image size.
     *
     * @throws IllegalArgumentException saying what to change
     */
    public Preset withInput(Integer imageSize, Integer channels) {
        if (imageSize == null && channels == null) {
            return this;
        }
        int size = imageSize == null ? model.getImageSize() : imageSize;
        int ch = channels == null ? model.getChannels() : channels;
        if (ch != 1 && ch != 3) {
            throw new IllegalArgumentException("--channels must be 1 (grayscale) or 3 (RGB), got " + ch);
        }
        int patch = model.getPatchSize();
        if (size < patch || size > 1024 || size % patch != 0) {
            throw new IllegalArgumentException("--image-size must be a multiple of the " + name + " model's patch size " + patch
                    + " from " + patch + " to 1024, got " + size);
        }
        return new Preset(name, trainImages, testImages, model.toBuilder().setImageSize(size).setChannels(ch).build(), maeEpochs,
                wspEpochs, batchSize, maeBaseLr, wspBaseLr, warmupEpochs, checkpointEverySteps, fewShotSeeds, killServices, processes);
    }

    /**
     * This preset with another model or batch (command-line overrides; null keeps the preset's): a model
     * preset of the trainer ({@code tiny-28}, {@code vit-s/16}, {@code vit-b/16}, {@code vit-l/16},
     * {@code vit-h/14}) with its input size and channels, which {@link #withInput} may change again.
     *
     * @throws IllegalArgumentException saying what to change
     */
    public Preset withModel(String modelPreset, Integer newBatchSize) {
        ModelConfig m = model;
        if (modelPreset != null) {
            try {
                m = proto(dev.maws.model.vit.VitConfig.preset(modelPreset));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--model: " + e.getMessage());
            }
        }
        int b = newBatchSize == null ? batchSize : newBatchSize;
        if (b < 1 || b > 65_536) {
            throw new IllegalArgumentException("--batch-size must be 1-65536, got " + b);
        }
        return new Preset(name, trainImages, testImages, m, maeEpochs, wspEpochs, b, maeBaseLr, wspBaseLr, warmupEpochs,
                checkpointEverySteps, fewShotSeeds, killServices, processes);
    }

    /** A model preset as a JobSpec's model (what the trainer's JobSpecs make of the preset's name). */
    private static ModelConfig proto(dev.maws.model.vit.VitConfig c) {
        return ModelConfig.newBuilder().setImageSize(c.imageSize()).setPatchSize(c.patchSize()).setChannels(c.channels())
                .setWidth(c.width()).setDepth(c.depth()).setHeads(c.heads()).setMlpRatio(c.mlpRatio())
                .setDecoderWidth(c.decoderWidth()).setDecoderDepth(c.decoderDepth()).setDecoderHeads(c.decoderHeads())
                .setPooling(c.pooling().name().toLowerCase(java.util.Locale.ROOT)).build();
    }

    /**
     * This preset trained by {@code n} processes (null keeps the preset's one): the trainer and
     * {@code n - 1} worker processes, data-parallel on c10d. The batch size must be a multiple of it.
     */
    public Preset withProcesses(Integer n) {
        if (n == null) {
            return this;
        }
        if (n < 1 || n > 64 || batchSize % n != 0) {
            throw new IllegalArgumentException("--processes must be 1-64 and divide the " + name + " batch size " + batchSize
                    + ", got " + n);
        }
        return new Preset(name, trainImages, testImages, model, maeEpochs, wspEpochs, batchSize, maeBaseLr, wspBaseLr,
                warmupEpochs, checkpointEverySteps, fewShotSeeds, killServices, n);
    }

    /** Whether this preset always runs on the committed fixture (smoke: CI, where nothing is downloaded). */
    public boolean fixtureOnly() {
        return name.equals("smoke");
    }

    /** Random resized crop (mild at 28x28) and horizontal flip, for every stage. */
    public AugmentationConfig augmentation() {
        return AugmentationConfig.newBuilder().setRandomResizedCrop(true).setMinScale(0.35).setMaxScale(1.0)
                .setHorizontalFlip(true).build();
    }
}
