package dev.maws.model.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Every trainable tensor of a network, by name ({@code blocks.3.attn.qkv.weight}), in creation
 * order, plus fixed buffers (sin-cos position embeddings). Owns one NDManager: closing it frees them
 * all. Initial values come from a seeded {@link Random}, so a seed gives the same network on every
 * machine.
 */
public final class Parameters implements AutoCloseable {
    /** A trainable tensor; {@code decay} is false for biases, norms, tokens (AdamW parameter groups). */
    public record Parameter(String name, NDArray array, boolean decay) {}

    private final NDManager manager;
    private final Random random;
    private final Map<String, Parameter> trainable = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();

    public Parameters(NDManager parent, long seed) {
        this.manager = parent.newSubManager();
        this.random = new Random(seed);
    }

    public NDManager manager() {
        return manager;
    }

    /** Trainable parameters in creation order (the order the network reads top to bottom). */
    public List<Parameter> all() {
        return Collections.unmodifiableList(new ArrayList<>(trainable.values()));
    }

    public Parameter get(String name) {
        Parameter p = trainable.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return p;
    }

    public long count() {
        return trainable.values().stream().mapToLong(p -> p.array().size()).sum();
    }

    /** A weight matrix (out, in) initialised like MAE's nn.Linear: xavier uniform. Decayed. */
    public NDArray xavierWeight(String name, long out, long in) {
        float bound = (float) Math.sqrt(6.0 / (in + out));
        float[] v = new float[Math.toIntExact(out * in)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (random.nextFloat() * 2 - 1) * bound;
        }
        return add(name, v, new Shape(out, in), true);
    }

    /** A token such as cls or mask: normal(0, 0.02) as in MAE. Not decayed. */
    public NDArray token(String name, Shape shape) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * 0.02);
        }
        return add(name, v, shape, false);
    }

    /** A constant-initialised vector (biases 0, norm scales 1). Not decayed. */
    public NDArray constant(String name, long size, float value) {
        float[] v = new float[Math.toIntExact(size)];
        java.util.Arrays.fill(v, value);
        return add(name, v, new Shape(size), false);
    }

    /** A fixed, non-trainable tensor (never saved: it is derived from the config). */
    public NDArray buffer(String name, float[] values, Shape shape) {
        if (buffers.containsKey(name) || trainable.containsKey(name)) {
            throw new IllegalStateException("duplicate name " + name);
        }
        NDArray a = HostArrays.floats(manager, values, shape);
        a.setName(name);
        buffers.put(name, a);
        return a;
    }

    private NDArray add(String name, float[] values, Shape shape, boolean decay) {
        if (buffers.containsKey(name) || trainable.containsKey(name)) {
            throw new IllegalStateException("duplicate parameter " + name);
        }
        NDArray a = HostArrays.floats(manager, values, shape);
        a.setName(name);
        a.setRequiresGradient(true);
        trainable.put(name, new Parameter(name, a, decay));
        return a;
    }

    /**
     * Copies every parameter whose name starts with {@code prefix} from {@code source} (e.g. the
     * {@code encoder.} of an MAE into a WSP model). Names and shapes must match exactly.
     *
     * @return how many parameters were copied
     * @throws IllegalArgumentException listing every missing, extra or differently shaped parameter
     */
    public int copyFrom(Parameters source, String prefix) {
        List<String> problems = new ArrayList<>();
        for (Parameter p : trainable.values()) {
            if (!p.name().startsWith(prefix)) {
                continue;
            }
            Parameter s = source.trainable.get(p.name());
            if (s == null) {
                problems.add("missing in the source: " + p.name());
            } else if (!s.array().getShape().equals(p.array().getShape())) {
                problems.add(p.name() + " is " + s.array().getShape() + " in the source, " + p.array().getShape() + " here");
            }
        }
        for (Parameter s : source.trainable.values()) {
            if (s.name().startsWith(prefix) && !trainable.containsKey(s.name())) {
                problems.add("not in this model: " + s.name());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot copy " + prefix + "* parameters: " + String.join("; ", problems));
        }
        GradMode.off();
        int copied = 0;
        for (Parameter p : trainable.values()) {
            if (p.name().startsWith(prefix)) {
                p.array().set(source.trainable.get(p.name()).array().toFloatArray());
                copied++;
            }
        }
        if (copied == 0) {
            throw new IllegalArgumentException("no parameter starts with " + prefix);
        }
        return copied;
    }

    /** Live NDArrays under this model's manager (parameters, buffers, optimizer state, leaks). */
    public int liveArrays() {
        return ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
