package dev.maws.model;

import dev.maws.model.runtime.DjlRuntime;
import dev.maws.model.vit.VitConfig;

/** Small configs so correctness tests run in seconds on 2 cores. */
public final class TinyConfigs {
    private TinyConfigs() {}

    static {
        DjlRuntime.start(System.getProperty("DJL_CACHE_DIR"));
    }

    /** 8x8 grayscale, patch 2 (16 patches), width 32, depth 2. */
    public static VitConfig micro() {
        return new VitConfig("micro", 8, 2, 1, 32, 2, 2, 2.0, 16, 1, 2, VitConfig.Pooling.CLS);
    }

    /** Deterministic pseudo-images in [0, 1]: n x 1 x 8 x 8. */
    public static float[] images(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] px = new float[n * 64];
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextFloat();
        }
        return px;
    }
}
