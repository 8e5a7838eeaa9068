package dev.maws.model.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

class PassThreadsTest {
    @Test
    void smallPassesRunOnOneThreadAndLargerOnesOnTheEnginesThreads() throws Exception {
        Engine.getEngine("PyTorch"); // loads the native library and sets the engine's thread count
        // on a thread of its own: PyTorch keeps the setting per calling thread
        Thread t = new Thread(() -> {
            int engineThreads = JniUtils.getNumThreads();
            PassThreads threads = new PassThreads(Device.cpu(), 2);
            assertEquals(1, threads.threadsFor(1));
            assertEquals(1, threads.threadsFor(2));
            assertEquals(engineThreads, threads.threadsFor(3));
            threads.before(1);
            assertEquals(1, JniUtils.getNumThreads());
            threads.before(32);
            assertEquals(engineThreads, JniUtils.getNumThreads());
            threads.before(2);
            assertEquals(1, JniUtils.getNumThreads());
            threads.before(64);
            assertEquals(engineThreads, JniUtils.getNumThreads());
        });
        Throwable[] failure = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }

    @Test
    void zeroNeverNarrowsAndNegativeIsRefused() {
        Engine.getEngine("PyTorch");
        PassThreads threads = new PassThreads(Device.cpu(), 0);
        assertEquals(JniUtils.getNumThreads(), threads.threadsFor(1));
        assertEquals(0, new PassThreads(Device.gpu(), 4).threadsFor(1), "nothing to set on a GPU");
        assertThrows(IllegalArgumentException.class, () -> new PassThreads(Device.cpu(), -1));
    }
}
