package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShardMemberTest {
    @Test
    void aMemberReferenceIsTheShardKeyAndTheSampleKeyJoinedByAHash() {
        ShardMember m = new ShardMember(ShardMember.shardKey("cc3m", "shard-00007"), "sub/000123");
        assertEquals("shards/cc3m/shard-00007.tar#sub/000123", m.uri());
        assertEquals(m, ShardMember.parse(m.uri()));
        assertEquals("shards/cc3m/shard-00007.index.jsonl", m.indexKey());
        assertTrue(ShardMember.isMember(m.uri()));
        assertFalse(ShardMember.isMember("images/fashion-mnist/train/00001.png"));
    }

    @Test
    void theReferenceSplitsAtItsFirstHashSoASampleKeyMayHoldOne() {
        ShardMember m = ShardMember.parse("shards/web/part-1.tar#a#b c");
        assertEquals("shards/web/part-1.tar", m.shardKey());
        assertEquals("a#b c", m.key());
    }

    @Test
    void malformedReferencesAreRefusedWithTheReason() {
        for (String bad : new String[] {"shards/web/part-1.tar#", "shards/web/part-1.tar", "images/a.png#x",
                "shards/part-1.tar#x", "shards/web/sub/part-1.tar#x", "shards/web/part-1.zip#x", "shards/web/.tar#x",
                "shards/../etc/x.tar#k", "shards/web/part-1.tar#a\u0000b", "shards/web/part-1.tar#" + "k".repeat(513),
                "s3://maws/shards/web/part-1.tar#x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardMember.parse(bad), bad);
            assertTrue(e.getMessage().contains("shard"), bad + ": " + e.getMessage());
        }
    }
}
