package dev.maws.bench;

import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.maws.model.dist.LaunchEnv;
import dev.maws.model.dist.ProcessGroup;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.vit.VitConfig;
import dev.maws.model.wsp.WspClassifier;

/**
 * One worker process of {@link ScaleBenchmark}, placed by its launch environment:
 * {@code train STEPS WARMUP OUT} (tiny-28 WSP, global batch 256 split over the workers; rank 0 prints
 * the images/s of the steps after the warm-up and writes the final parameters to OUT) or
 * {@code allreduce FLOATS ROUNDS} (rank 0 prints each all-reduce's milliseconds).
 */
public final class ScaleWorker {
    static final int BATCH = 256;

    private ScaleWorker() {}

    public static void main(String[] args) throws Exception {
        LaunchEnv env = LaunchEnv.from(Map.copyOf(System.getenv()));
        try (NDManager m = NDManager.newBaseManager(); ProcessGroup group = ProcessGroup.join(env, Duration.ofMinutes(2))) {
            if (args[0].equals("allreduce")) {
                long n = Long.parseLong(args[1]);
                NDArray x = m.ones(new Shape(n));
                for (int r = 0; r < Integer.parseInt(args[2]); r++) {
                    long t = System.nanoTime();
                    group.allReduceMean(List.of(x));
                    if (env.rank() == 0) {
                        System.out.printf("allreduce_ms %.3f%n", (System.nanoTime() - t) / 1e6);
                    }
                }
                return;
            }
            train(env, group, m, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
        }
    }

    private static void train(LaunchEnv env, ProcessGroup group, NDManager m, int steps, int warmup, Path out)
            throws Exception {
        VitConfig c = VitConfig.tiny28();
        int per = c.channels() * c.imageSize() * c.imageSize();
        int from = BATCH * env.rank() / env.worldSize();
        int to = BATCH * (env.rank() + 1) / env.worldSize();
        try (Parameters p = new Parameters(m, 3)) {
            WspClassifier wsp = new WspClassifier(p, c, 100);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            long t0 = 0;
            for (int s = 0; s < steps; s++) {
                if (s == warmup) {
                    t0 = System.nanoTime();
                }
                Random r = new Random(s);
                float[] all = new float[BATCH * per];
                for (int i = 0; i < all.length; i++) {
                    all[i] = (float) r.nextGaussian();
                }
                float[] mine = Arrays.copyOfRange(all, from * per, to * per);
                int[][] labels = new int[to - from][];
                for (int i = from; i < to; i++) {
                    labels[i - from] = new int[] {(i * 7 + s) % 100};
                }
                TrainingStep.run(p, sm -> wsp.forwardLoss(wsp.forward(Images.batch(sm, mine, to - from, c)),
                        wsp.targets(sm, labels, 0.1f)), (to - from) / (double) BATCH, group, adamW, 1e-3);
            }
            if (env.rank() == 0) {
                System.out.printf("images_per_s %.2f%n", (double) BATCH * (steps - warmup) / ((System.nanoTime() - t0) / 1e9));
                try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
                    for (Parameters.Parameter q : p.all()) {
                        for (float v : q.array().toFloatArray()) {
                            o.writeFloat(v);
                        }
                    }
                }
            }
        }
    }
}
