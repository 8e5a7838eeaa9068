package dev.maws.model.dist;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDManager;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

/**
 * One worker of {@link DistributedTrainingTest}: tiny-28 WSP or MAE for some steps on a global batch
 * of synthetic images split over the workers of its launch environment; writes each step's loss and
 * the final parameters to {@code PREFIX-RANK.bin} (arguments: wsp|mae, steps, PREFIX). Every sample's
 * pixels, labels and mask noise depend on its place in the global batch only, so any number of
 * workers trains the same job.
 */
public final class TrainingWorker {
    static final int BATCH = 8;
    static final VitConfig CONFIG = VitConfig.tiny28();

    private TrainingWorker() {}

    public static void main(String[] args) throws Exception {
        String stage = args[0];
        int steps = Integer.parseInt(args[1]);
        LaunchEnv env = LaunchEnv.from(Map.copyOf(System.getenv()));
        Path out = Path.of(args[2] + "-" + env.rank() + ".bin");
        int from = BATCH * env.rank() / env.worldSize();
        int to = BATCH * (env.rank() + 1) / env.worldSize();
        int per = CONFIG.channels() * CONFIG.imageSize() * CONFIG.imageSize();
        float[] losses = new float[steps];
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 11);
                ProcessGroup group = ProcessGroup.join(env, Duration.ofSeconds(60))) {
            WspClassifier wsp = stage.equals("wsp") ? new WspClassifier(p, CONFIG, 10) : null;
            MaskedAutoencoder mae = stage.equals("mae") ? new MaskedAutoencoder(p, CONFIG, true) : null;
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            for (int s = 0; s < steps; s++) {
                float[] all = images(s, per);
                float[] mine = Arrays.copyOfRange(all, from * per, to * per);
                int step = s;
                losses[s] = TrainingStep.run(p, sm -> {
                    if (wsp != null) {
                        int[][] labels = new int[to - from][];
                        for (int i = from; i < to; i++) {
                            labels[i - from] = new int[] {(i + step) % 10};
                        }
                        return wsp.forwardLoss(wsp.forward(Images.batch(sm, mine, to - from, CONFIG)),
                                wsp.targets(sm, labels, 0.1f));
                    }
                    // the noise of the whole batch, drawn in order; this worker's rows start after the others'
                    Random noise = new Random(1_000 + step);
                    long tokens = (long) (CONFIG.imageSize() / CONFIG.patchSize()) * (CONFIG.imageSize() / CONFIG.patchSize());
                    for (long i = 0; i < from * tokens; i++) {
                        noise.nextFloat();
                    }
                    return mae.forward(Images.batch(sm, mine, to - from, CONFIG), 0.75, noise).loss();
                }, (to - from) / (double) BATCH, group, adamW, 1e-3).loss();
            }
            try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
                for (float l : losses) {
                    o.writeFloat(l);
                }
                for (Parameters.Parameter param : p.all()) {
                    for (float v : param.array().toFloatArray()) {
                        o.writeFloat(v);
                    }
                }
            }
        }
    }

    private static float[] images(int step, int per) {
        Random r = new Random(step);
        float[] px = new float[BATCH * per];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextGaussian();
        }
        return px;
    }

    static float[] read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        java.nio.FloatBuffer f = java.nio.ByteBuffer.wrap(b).asFloatBuffer();
        float[] v = new float[f.remaining()];
        f.get(v);
        return v;
    }
}
