package dev.maws.trainer.job;

import java.util.Locale;

import dev.maws.model.vit.VitConfig;
import dev.maws.proto.v1.ModelConfig;

/** proto {@code ModelConfig} <-> {@link VitConfig}. */
public final class ModelConfigs {
    private ModelConfigs() {}

    public static VitConfig toVit(ModelConfig m) {
        VitConfig.Pooling pooling = m.getPooling().isEmpty() ? VitConfig.Pooling.CLS : VitConfig.Pooling.parse(m.getPooling());
        return new VitConfig("custom", m.getImageSize(), m.getPatchSize(), m.getChannels(), m.getWidth(), m.getDepth(),
                m.getHeads(), m.getMlpRatio() == 0 ? 4.0 : m.getMlpRatio(), m.getDecoderWidth(), m.getDecoderDepth(),
                m.getDecoderHeads(), pooling);
    }

    public static ModelConfig toProto(VitConfig c) {
        return ModelConfig.newBuilder().setImageSize(c.imageSize()).setPatchSize(c.patchSize()).setChannels(c.channels())
                .setWidth(c.width()).setDepth(c.depth()).setHeads(c.heads()).setMlpRatio(c.mlpRatio())
                .setDecoderWidth(c.decoderWidth()).setDecoderDepth(c.decoderDepth()).setDecoderHeads(c.decoderHeads())
                .setPooling(c.pooling().name().toLowerCase(Locale.ROOT)).build();
    }

    /** Whether two configs build encoders with the same parameters (the decoder may differ). */
    public static boolean sameEncoder(VitConfig a, VitConfig b) {
        return a.imageSize() == b.imageSize() && a.patchSize() == b.patchSize() && a.channels() == b.channels()
                && a.width() == b.width() && a.depth() == b.depth() && a.heads() == b.heads()
                && a.mlpHidden() == b.mlpHidden();
    }
}
