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
        onOwnThread(() -> {
            int engineThreads = PassThreads.engineThreads(Device.cpu());
            assertEquals(JniUtils.getNumThreads(), engineThreads);
            PassThreads threads = new PassThreads(Device.cpu(), 2, engineThreads);
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
    }

    @Test
    void aWorkersShareSetsItsLargerPassesEvenTheFirst() throws Exception {
        Engine.getEngine("PyTorch");
        onOwnThread(() -> {
            PassThreads threads = new PassThreads(Device.cpu(), 1, 3);
            assertEquals(3, threads.threadsFor(32));
            threads.before(32); // the first pass sets its threads whatever the thread had before
            assertEquals(3, JniUtils.getNumThreads());
            threads.before(1);
            assertEquals(1, JniUtils.getNumThreads());
        });
    }

    @Test
    void zeroNeverNarrowsAndBadCountsAreRefused() {
        Engine.getEngine("PyTorch");
        PassThreads threads = new PassThreads(Device.cpu(), 0, 2);
        assertEquals(2, threads.threadsFor(1));
        assertEquals(0, new PassThreads(Device.gpu(), 4, 1).threadsFor(1), "nothing to set on a GPU");
        assertEquals(1, PassThreads.engineThreads(Device.gpu()));
        assertThrows(IllegalArgumentException.class, () -> new PassThreads(Device.cpu(), -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new PassThreads(Device.cpu(), 1, 0));
    }

    /** Runs {@code body} on a fresh thread, as PyTorch keeps the setting per calling thread. */
    private static void onOwnThread(Runnable body) throws InterruptedException {
        Thread t = new Thread(body);
        Throwable[] failure = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }
}
