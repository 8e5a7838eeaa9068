package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyLedgerTest {
    @Test
    void aKeyIsNewOnceAndTheLedgerGrowsPastItsFirstTable() {
        KeyLedger ledger = new KeyLedger();
        for (int i = 0; i < 100_000; i++) {
            assertTrue(ledger.add("shard-" + (i / 1000) + "/" + i), "first time " + i);
        }
        for (int i = 0; i < 100_000; i += 7) {
            assertFalse(ledger.add("shard-" + (i / 1000) + "/" + i), "again " + i);
        }
        assertEquals(100_000, ledger.size());
        assertTrue(ledger.add(""), "the empty key is a key");
        assertFalse(ledger.add(""));
    }
}
