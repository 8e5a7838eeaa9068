package dev.maws.model.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class LaunchEnvTest {
    @Test
    void pytorchJobVariablesNameRankAndWorld() {
        LaunchEnv env = LaunchEnv.from(Map.of("MASTER_ADDR", "trainer-0", "MASTER_PORT", "23456", "WORLD_SIZE", "4",
                "RANK", "3"));
        assertEquals(new LaunchEnv("trainer-0", 23456, 4, 3), env);
    }

    @Test
    void kubeflowTrainerVariablesGiveTheGlobalRankFromNodeAndLocalRank() {
        LaunchEnv env = LaunchEnv.from(Map.of("PET_NNODES", "2", "PET_NPROC_PER_NODE", "4", "PET_NODE_RANK", "1",
                "LOCAL_RANK", "2", "PET_MASTER_ADDR", "job-node-0-0.job", "PET_MASTER_PORT", "29400"));
        assertEquals(new LaunchEnv("job-node-0-0.job", 29400, 8, 6), env);
        assertEquals(2, LaunchEnv.localRank(Map.of("LOCAL_RANK", "2")));
        assertEquals(0, LaunchEnv.localRank(Map.of()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LaunchEnv.localRank(Map.of("LOCAL_RANK", "-1")))
                .getMessage().contains("LOCAL_RANK must be >= 0"));
        assertTrue(LaunchEnv.present(Map.of("PET_NNODES", "2")));
        assertFalse(LaunchEnv.present(Map.of("HOME", "/root")));
    }

    @Test
    void everyProblemOfABadEnvironmentIsNamedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaunchEnv.from(Map.of("WORLD_SIZE", "2", "RANK", "2", "MASTER_PORT", "70000")));
        assertTrue(e.getMessage().contains("master address is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("port must be 1-65535"), e.getMessage());
        assertTrue(e.getMessage().contains("rank must be in [0, world size 2)"), e.getMessage());
    }

    @Test
    void missingOrMalformedNumbersAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> LaunchEnv.from(Map.of("MASTER_ADDR", "m", "WORLD_SIZE", "2"))).getMessage().contains("RANK is not set"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> LaunchEnv.from(Map.of("MASTER_ADDR", "m", "WORLD_SIZE", "two", "RANK", "0"))).getMessage()
                .contains("WORLD_SIZE must be a whole number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LaunchEnv.from(Map.of("PET_MASTER_ADDR", "m",
                "PET_NNODES", "1", "PET_NPROC_PER_NODE", "2", "LOCAL_RANK", "2"))).getMessage()
                .contains("LOCAL_RANK 2 is not below PET_NPROC_PER_NODE 2"));
    }
}
