package dev.maws.model.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a worker stands in its job, read from the environment the Kubernetes training operators set:
 * Kubeflow Trainer v2 ({@code PET_NNODES}, {@code PET_NPROC_PER_NODE}, {@code PET_NODE_RANK},
 * {@code PET_MASTER_ADDR}, {@code PET_MASTER_PORT}, with {@code LOCAL_RANK} for the process on its node)
 * or PyTorchJob v1 ({@code MASTER_ADDR}, {@code MASTER_PORT}, {@code WORLD_SIZE}, {@code RANK}).
 * Explicit {@code WORLD_SIZE}/{@code RANK} win over what the {@code PET_*} variables imply.
 */
public record LaunchEnv(String masterAddr, int masterPort, int worldSize, int rank) {
    /** Largest world accepted: a typo must not make rank 0 wait for a million workers. */
    public static final int MAX_WORLD_SIZE = 65_536;

    public LaunchEnv {
        List<String> problems = new ArrayList<>();
        if (masterAddr == null || masterAddr.isBlank()) {
            problems.add("the master address is missing (MASTER_ADDR or PET_MASTER_ADDR)");
        }
        if (masterPort < 1 || masterPort > 65_535) {
            problems.add("the master port must be 1-65535, got " + masterPort);
        }
        if (worldSize < 1 || worldSize > MAX_WORLD_SIZE) {
            problems.add("the world size must be 1-" + MAX_WORLD_SIZE + ", got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            problems.add("the rank must be in [0, world size " + worldSize + "), got " + rank);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("bad launch environment: " + String.join("; ", problems));
        }
    }

    /** Whether the environment describes a distributed launch at all (else: one process). */
    public static boolean present(Map<String, String> env) {
        return env.containsKey("WORLD_SIZE") || env.containsKey("PET_NNODES") || env.containsKey("MASTER_ADDR")
                || env.containsKey("PET_MASTER_ADDR");
    }

    /** Reads the launch contract; a missing or malformed value is an IllegalArgumentException naming it. */
    public static LaunchEnv from(Map<String, String> env) {
        String addr = first(env, "MASTER_ADDR", "PET_MASTER_ADDR");
        String portText = first(env, "MASTER_PORT", "PET_MASTER_PORT");
        int port = portText == null ? 29_500 : number(portText, "MASTER_PORT");
        int world;
        int rank;
        if (env.containsKey("WORLD_SIZE") || env.containsKey("RANK")) {
            world = number(require(env, "WORLD_SIZE"), "WORLD_SIZE");
            rank = number(require(env, "RANK"), "RANK");
        } else {
            int nodes = number(require(env, "PET_NNODES"), "PET_NNODES");
            int perNode = number(env.getOrDefault("PET_NPROC_PER_NODE", "1"), "PET_NPROC_PER_NODE");
            int nodeRank = number(env.getOrDefault("PET_NODE_RANK", "0"), "PET_NODE_RANK");
            int localRank = number(env.getOrDefault("LOCAL_RANK", "0"), "LOCAL_RANK");
            if (localRank >= perNode) {
                throw new IllegalArgumentException("bad launch environment: LOCAL_RANK " + localRank
                        + " is not below PET_NPROC_PER_NODE " + perNode);
            }
            world = Math.multiplyExact(nodes, perNode);
            rank = nodeRank * perNode + localRank;
        }
        return new LaunchEnv(addr, port, world, rank);
    }

    /** The process's place on its node ({@code LOCAL_RANK}, 0 when unset): which of the node's GPUs it takes. */
    public static int localRank(Map<String, String> env) {
        int localRank = number(env.getOrDefault("LOCAL_RANK", "0"), "LOCAL_RANK");
        if (localRank < 0) {
            throw new IllegalArgumentException("bad launch environment: LOCAL_RANK must be >= 0, got " + localRank);
        }
        return localRank;
    }

    private static String first(Map<String, String> env, String a, String b) {
        String v = env.get(a);
        return v != null && !v.isBlank() ? v.trim() : env.get(b) == null ? null : env.get(b).trim();
    }

    private static String require(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("bad launch environment: " + name + " is not set");
        }
        return v.trim();
    }

    private static int number(String text, String name) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad launch environment: " + name + " must be a whole number, got \""
                    + text + "\"");
        }
    }
}
