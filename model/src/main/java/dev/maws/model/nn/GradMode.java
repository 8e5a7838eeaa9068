package dev.maws.model.nn;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's grad mode is per thread and on by default; DJL turns it off only on the thread that
 * started the engine. In-place updates of parameters (optimizer steps, loading weights) fail with
 * "a leaf Variable that requires grad is being used in an in-place operation" on any other thread
 * unless it is turned off there: call {@link #off()} first on every thread that updates parameters
 * or runs inference. A {@code GradientCollector} turns it on for its scope and off when closed.
 */
public final class GradMode {
    private GradMode() {}

    public static void off() {
        JniUtils.setGradMode(false);
    }
}
