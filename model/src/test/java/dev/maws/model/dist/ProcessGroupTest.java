package dev.maws.model.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** c10d on loopback: real worker processes, a real TCPStore and Gloo group. */
class ProcessGroupTest {
    @TempDir
    Path tmp;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void twoWorkersEndWithTheMeanOfTheirArraysInEveryBucket() throws Exception {
        List<Process> workers = Workers.start(AllReduceWorker.class, 2, tmp, "rank");
        for (int rank = 0; rank < 2; rank++) {
            Process p = workers.get(rank);
            assertTrue(p.waitFor(3, TimeUnit.MINUTES), "worker " + rank + " did not finish");
            String log = Files.readString(tmp.resolve("rank-" + rank + ".log"), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), log);
            // (1 + 2) / 2 * (i + 1), three rounds of means leave it there; the group holds our one reference
            String expected = "rank " + rank + " of 2: 1.5/1.5 3.0/3.0 4.5/4.5 6.0/6.0 references 1";
            assertTrue(log.lines().anyMatch(expected::equals), "expected \"" + expected + "\" in:\n" + log);
            long big = (1L << 53) + 1;
            String metadata = "broadcast [" + big + ", -7] gathered [[" + big + ", 0], [" + 2 * big + ", 1]]";
            assertTrue(log.lines().anyMatch(metadata::equals), "expected \"" + metadata + "\" in:\n" + log);
            assertTrue(log.lines().anyMatch("group 3 6"::equals), "three more groups made and freed:\n" + log);
        }
    }

    @Test
    void anUnreachableMasterFailsWithTheAddressAfterTheTimeoutAndNoHang() throws Exception {
        int port = freePort(); // nobody listens there
        IOException e = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> assertThrows(IOException.class,
                () -> ProcessGroup.join(new LaunchEnv("127.0.0.1", port, 2, 1), Duration.ofSeconds(3))));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    }
}
