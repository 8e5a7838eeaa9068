package dev.maws.e2e;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.imageio.ImageIO;

import ai.djl.Device;
import dev.maws.devstack.fashion.FashionMnist;
import dev.maws.model.runtime.DjlRuntime;
import dev.maws.model.serve.ServingModel;
import dev.maws.platform.checkpoint.S3CheckpointFiles;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.image.Pixels;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * MAE reconstructions of test images for the report: the MAE checkpoint loaded here with the model
 * library (checksums verified), 75 % of each image's patches removed, the decoder's prediction
 * pasted under the visible ones. Each row: original, masked, reconstruction, as PNG data URIs.
 */
final class Reconstructions {
    private static final int SCALE = 4;

    /** One test image and what the MAE made of it. */
    record Row(int label, String original, String masked, String reconstructed) {}

    private Reconstructions() {}

    static List<Row> of(ObjectStore store, Path djlCache, String job, long step, FashionMnist test, int count)
            throws Exception {
        DjlRuntime.start(djlCache.toString());
        int side = FashionMnist.SIDE;
        Pixels.Normalization norm = Pixels.Normalization.standard(1);
        ImageDecoder decoder = new ImageDecoder(side * side);
        float[] pixels = new float[count * side * side];
        for (int i = 0; i < count; i++) {
            Pixels.resize(decoder.decode(test.png(i), 1), side, norm, pixels, i * side * side);
        }
        float[][] out;
        try (ServingModel mae = ServingModel.load(new S3CheckpointFiles(store, job, step), Device.cpu())) {
            out = mae.reconstruct(pixels, count, 0.75, 7);
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            rows.add(new Row(test.label(i), png(pixels, i, norm), png(out[0], i, norm), png(out[1], i, norm)));
        }
        return rows;
    }

    /** Image i of a normalised batch as an upscaled grayscale PNG data URI. */
    private static String png(float[] batch, int i, Pixels.Normalization norm) throws Exception {
        int side = FashionMnist.SIDE;
        BufferedImage img = new BufferedImage(side * SCALE, side * SCALE, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < side * SCALE; y++) {
            for (int x = 0; x < side * SCALE; x++) {
                float v = batch[i * side * side + (y / SCALE) * side + x / SCALE] * norm.std()[0] + norm.mean()[0];
                int g = Math.max(0, Math.min(255, Math.round(v * 255)));
                img.getRaster().setSample(x, y, 0, g);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
    }
}
