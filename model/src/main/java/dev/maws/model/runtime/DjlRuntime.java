package dev.maws.model.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The PyTorch engine of this JVM, started once, and the devices a job or a model runs on. Device
 * choice is configuration ("cpu", "gpu" = every local GPU, "gpu:N"), never code; asking for a GPU
 * that is not there fails loudly instead of silently training on the CPU.
 */
public final class DjlRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(DjlRuntime.class);
    /** What {@link #probe} computes when the engine works. */
    public static final float PROBE_RESULT = 54f;

    private static final Pattern DEVICE = Pattern.compile("cpu|gpu(?::(\\d+))?");
    private static volatile DjlRuntime instance;

    private final Engine engine;
    private final int gpuCount;

    private DjlRuntime(Engine engine) {
        this.engine = engine;
        this.gpuCount = engine.getGpuCount();
    }

    /**
     * Starts the engine once per JVM. {@code cacheDir} (may be null) is where DJL unpacks the native
     * libraries from the classpath jar (~425 MB on first use); nothing is ever downloaded.
     */
    public static synchronized DjlRuntime start(String cacheDir) {
        if (instance == null) {
            // Both must be set before the first Engine call: DJL reads them once.
            System.setProperty("ai.djl.offline", "true");
            if (cacheDir != null && !cacheDir.isBlank()) {
                System.setProperty("DJL_CACHE_DIR", cacheDir);
                System.setProperty("ENGINE_CACHE_DIR", cacheDir);
            }
            long t0 = System.nanoTime();
            Engine engine = Engine.getEngine("PyTorch");
            instance = new DjlRuntime(engine);
            LOG.info("DJL engine {} {} started in {} ms, {} GPU(s) visible", engine.getEngineName(),
                    engine.getVersion(), (System.nanoTime() - t0) / 1_000_000, instance.gpuCount);
        }
        return instance;
    }

    public String engineDescription() {
        return engine.getEngineName() + " " + engine.getVersion();
    }

    public int gpuCount() {
        return gpuCount;
    }

    /**
     * Resolves a device setting: "cpu", "gpu" (all local GPUs: a trainer job runs one process on each) or "gpu:N".
     *
     * @throws IllegalArgumentException on a malformed setting or a GPU that this machine does not have
     */
    public List<Device> devices(String setting) {
        String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
        Matcher m = DEVICE.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("device must be \"cpu\", \"gpu\" or \"gpu:N\", got \"" + setting + "\"");
        }
        if (s.equals("cpu")) {
            return List.of(Device.cpu());
        }
        if (gpuCount == 0) {
            throw new IllegalArgumentException("device \"" + setting + "\" asks for a GPU but the engine sees none"
                    + " (CPU build, or no libcudart.so.12 for the -Pcuda build)");
        }
        if (m.group(1) != null) {
            int id = Integer.parseInt(m.group(1));
            if (id >= gpuCount) {
                throw new IllegalArgumentException("device \"" + setting + "\": only " + gpuCount + " GPU(s), ids 0.."
                        + (gpuCount - 1));
            }
            return List.of(Device.gpu(id));
        }
        List<Device> all = new ArrayList<>();
        for (int i = 0; i < gpuCount; i++) {
            all.add(Device.gpu(i));
        }
        return all;
    }

    /**
     * Runs one small tensor computation on {@code setting}'s first device and returns its result:
     * the sum of [[1, 2], [3, 4]] x [[1, 2], [3, 4]] = {@link #PROBE_RESULT}. Proves the natives are loaded and usable.
     */
    public float probe(String setting) {
        Device device = devices(setting).get(0);
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDArray a = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            return a.matMul(a).sum().getFloat();
        }
    }
}
