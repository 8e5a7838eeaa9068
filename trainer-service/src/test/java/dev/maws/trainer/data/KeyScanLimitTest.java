package dev.maws.trainer.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** An epoch's key scan that could exhaust the heap is refused up front, saying what to change. */
class KeyScanLimitTest {
    private static final TopicPartition TP = new TopicPartition("labeled-images", 7);

    @Test
    void aPartitionTooLargeForHalfTheHeapIsRefusedWithWhatToDo() {
        long heap = 1L << 30; // 1 GiB: half of it holds 8,388,608 offsets at 64 bytes each
        assertDoesNotThrow(() -> EpochReader.checkScanFits(TP, 8_388_608, heap));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> EpochReader.checkScanFits(TP, 8_388_609, heap));
        for (String part : new String[] {"labeled-images-7", "8388609 offsets", "1024 MB", "-Xmx",
                "maws.trainer.data.skip-superseded=false"}) {
            assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
        }
    }
}
