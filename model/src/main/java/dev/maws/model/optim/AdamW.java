package dev.maws.model.optim;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.maws.model.nn.GradMode;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.TensorIO;
import dev.maws.model.nn.Parameters.Parameter;
import dev.maws.model.nn.Scalars;

/**
 * AdamW (Loshchilov and Hutter) on NDArrays, with the two parameter groups of MAE: weight decay on
 * weight matrices, none on biases, norms, tokens. Decoupled decay as torch.optim.AdamW:
 * {@code p -= lr * wd * p}, then {@code p -= lr * m_hat / (sqrt(v_hat) + eps)}. Gradients are
 * clipped by their global norm first (when {@code maxGradNorm > 0}) and zeroed after the update.
 * The state (step count, m, v of every parameter) saves and loads exactly.
 */
public final class AdamW {
    private final Parameters params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final double maxGradNorm;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    public AdamW(Parameters params, double beta1, double beta2, double eps, double weightDecay, double maxGradNorm) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0 && weightDecay >= 0 && maxGradNorm >= 0)) {
            throw new IllegalArgumentException("bad AdamW settings: betas (" + beta1 + ", " + beta2 + "), eps " + eps
                    + ", weight decay " + weightDecay + ", max grad norm " + maxGradNorm);
        }
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.maxGradNorm = maxGradNorm;
        NDManager manager = params.manager();
        for (Parameter p : params.all()) {
            m.put(p.name(), manager.zeros(p.array().getShape()));
            v.put(p.name(), manager.zeros(p.array().getShape()));
        }
    }

    /** The MAE recipe: betas (0.9, 0.95), eps 1e-8, weight decay 0.05; no clipping unless asked. */
    public static AdamW mae(Parameters params, double weightDecay, double maxGradNorm) {
        return new AdamW(params, 0.9, 0.95, 1e-8, weightDecay, maxGradNorm);
    }

    public long stepCount() {
        return step;
    }

    /**
     * One update with learning rate {@code lr} from the gradients accumulated since the last one;
     * zeroes them afterwards. Must run outside a gradient collector.
     *
     * @return the global gradient norm before clipping
     */
    public double update(double lr) {
        GradMode.off();
        List<Parameter> all = params.all();
        double norm;
        try (NDScope scope = new NDScope()) {
            List<NDArray> grads = new ArrayList<>(all.size());
            double sq = 0;
            for (Parameter p : all) {
                NDArray g = p.array().getGradient();
                grads.add(g);
                sq += g.square().sum().toType(DataType.FLOAT64, false).getDouble();
            }
            norm = Math.sqrt(sq);
            if (!Double.isFinite(norm)) { // clipping cannot help: NaN * c stays NaN, inf * 0 is NaN
                zeroGradients();
                throw new ArithmeticException("gradient norm is " + norm + " (the loss was finite): the step was not applied");
            }
            double clip = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1.0;
            step++;
            double bc1 = 1 - Math.pow(beta1, step);
            double bc2 = 1 - Math.pow(beta2, step);
            for (int i = 0; i < all.size(); i++) {
                Parameter p = all.get(i);
                NDArray w = p.array();
                NDArray g = grads.get(i);
                if (clip != 1.0) {
                    g = g.mul(scalar(g, clip));
                }
                NDArray mi = m.get(p.name());
                NDArray vi = v.get(p.name());
                mi.muli(scalar(mi, beta1)).addi(g.mul(scalar(g, 1 - beta1)));
                vi.muli(scalar(vi, beta2)).addi(g.square().mul(scalar(g, 1 - beta2)));
                if (p.decay() && weightDecay > 0) {
                    w.muli(scalar(w, 1 - lr * weightDecay));
                }
                // p -= lr / bc1 * m / (sqrt(v / bc2) + eps)
                NDArray denom = vi.div(scalar(vi, bc2)).sqrt().add(scalar(vi, eps));
                w.subi(mi.div(denom).mul(scalar(mi, lr / bc1)));
                JniUtils.zeroGrad((PtNDArray) w);
            }
        }
        return norm;
    }

    /** Drops the gradients accumulated since the last update (after a step that must not count). */
    public void zeroGradients() {
        for (Parameter p : params.all()) {
            JniUtils.zeroGrad((PtNDArray) p.array());
        }
    }

    /** Writes step count and every m and v (float32, in parameter order, with names and shapes). */
    public void save(DataOutputStream out) throws IOException {
        out.writeInt(1); // format version
        out.writeLong(step);
        out.writeInt(m.size());
        for (String name : m.keySet()) {
            out.writeUTF(name);
            TensorIO.write(out, m.get(name));
            TensorIO.write(out, v.get(name));
        }
    }

    /** Reads what {@link #save} wrote and applies it; names and shapes must match this optimizer's parameters. */
    public void load(DataInputStream in) throws IOException {
        try (Staged staged = read(in)) {
            staged.apply();
        }
    }

    /**
     * Reads what {@link #save} wrote into arrays of its own, leaving this optimizer as it is until
     * {@link Staged#apply}: a checkpoint can check its file's checksum after this one read and still
     * change nothing on a mismatch. Holds a second copy of the state meanwhile.
     */
    public Staged read(DataInputStream in) throws IOException {
        int version = in.readInt();
        if (version != 1) {
            throw new IOException("unknown optimizer state format " + version);
        }
        long savedStep = in.readLong();
        int count = in.readInt();
        if (count != m.size()) {
            throw new IOException("optimizer state has " + count + " parameters, the model " + m.size());
        }
        Staged staged = new Staged(savedStep);
        NDManager manager = params.manager();
        try {
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                NDArray mi = m.get(name);
                if (mi == null) {
                    throw new IOException("optimizer state names an unknown parameter " + name);
                }
                if (staged.m.containsKey(name)) {
                    throw new IOException("optimizer state names " + name + " twice");
                }
                staged.m.put(name, manager.create(TensorIO.read(in, mi.getShape(), "optimizer state m of " + name),
                        mi.getShape()));
                staged.v.put(name, manager.create(TensorIO.read(in, mi.getShape(), "optimizer state v of " + name),
                        mi.getShape()));
            }
            return staged;
        } catch (Throwable e) { // an OutOfMemoryError too: what was read lives off the heap
            staged.close();
            throw e;
        }
    }

    /** Optimizer state read by {@link #read}: {@link #apply} it, or close it to discard it. */
    public final class Staged implements AutoCloseable {
        private final long savedStep;
        private final Map<String, NDArray> m = new LinkedHashMap<>();
        private final Map<String, NDArray> v = new LinkedHashMap<>();
        private boolean applied;

        private Staged(long savedStep) {
            this.savedStep = savedStep;
        }

        /** Replaces the optimizer's state with this one (and frees the one it had). */
        public void apply() {
            if (applied) {
                throw new IllegalStateException("already applied");
            }
            for (Map.Entry<String, NDArray> e : m.entrySet()) {
                AdamW.this.m.put(e.getKey(), e.getValue()).close();
                AdamW.this.v.put(e.getKey(), v.get(e.getKey())).close();
            }
            step = savedStep;
            applied = true;
        }

        /** Frees the state read unless it was applied. */
        @Override
        public void close() {
            if (!applied) {
                m.values().forEach(NDArray::close);
                v.values().forEach(NDArray::close);
            }
        }
    }

    private static NDArray scalar(NDArray like, double value) {
        return Scalars.of(like, (float) value);
    }
}
