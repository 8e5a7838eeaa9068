package dev.maws.label.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;

import dev.maws.proto.v1.CaptionRecord;

/** CaptionFields must read exactly what CaptionRecord.parseFrom reads, and refuse what it refuses. */
class CaptionFieldsTest {
    private static final String[] PIECES = {"#GoldenRetriever", " at the beach ", "🐶", "#cuteeee", "é", "日本", "\u0000",
        "images/a/1.png", "https://x.y/z", "@someone", ""};

    @Test
    void readsTheSameFieldsAsTheGeneratedParser() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            CaptionRecord.Builder b = CaptionRecord.newBuilder();
            if (random.nextBoolean()) {
                b.setImageId(text(random));
            }
            if (random.nextBoolean()) {
                b.setImageUri(text(random));
            }
            if (random.nextInt(10) > 0) {
                b.setCaption(text(random));
            }
            if (random.nextBoolean()) {
                b.setSource(text(random));
            }
            byte[] bytes = withExtras(b.build().toByteArray(), random);
            CaptionRecord expected = CaptionRecord.parseFrom(bytes);
            CaptionFields actual = CaptionFields.parse(bytes);
            assertEquals(expected.getImageIdBytes(), actual.imageId());
            assertEquals(expected.getImageUriBytes(), actual.imageUri());
            assertEquals(expected.getCaptionBytes(), actual.caption());
        }
    }

    @Test
    void refusesWhatTheGeneratedParserRefuses() {
        Random random = new Random(11);
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[1 + random.nextInt(40)];
            random.nextBytes(bytes);
            CaptionRecord expected;
            try {
                expected = CaptionRecord.parseFrom(bytes);
            } catch (InvalidProtocolBufferException e) {
                refused++;
                assertThrows(InvalidProtocolBufferException.class, () -> CaptionFields.parse(bytes), () -> hex(bytes));
                continue;
            }
            CaptionFields actual = assertDoesNotThrowParse(bytes);
            assertEquals(expected.getImageIdBytes(), actual.imageId(), () -> hex(bytes));
            assertEquals(expected.getCaptionBytes(), actual.caption(), () -> hex(bytes));
        }
        assertTrue(refused > 1_000, "random bytes should mostly be refused, were " + refused);
    }

    @Test
    void refusesInvalidUtf8InAnyTextField() throws Exception {
        for (int field = 1; field <= 4; field++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CodedOutputStream o = CodedOutputStream.newInstance(out);
            o.writeBytes(field, ByteString.copyFrom(new byte[] {'a', (byte) 0xC3, (byte) 0x28}));
            o.flush();
            byte[] bytes = out.toByteArray();
            assertThrows(InvalidProtocolBufferException.class, () -> CaptionRecord.parseFrom(bytes));
            InvalidProtocolBufferException e = assertThrows(InvalidProtocolBufferException.class,
                    () -> CaptionFields.parse(bytes));
            assertEquals("Protocol message had invalid UTF-8.", e.getMessage());
        }
        byte[] twice = withRepeatedCaption();
        assertArrayEquals(CaptionRecord.parseFrom(twice).getCaptionBytes().toByteArray(),
                CaptionFields.parse(twice).caption().toByteArray());
    }

    private static CaptionFields assertDoesNotThrowParse(byte[] bytes) {
        try {
            return CaptionFields.parse(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("parseFrom accepted what CaptionFields refused: " + hex(bytes), e);
        }
    }

    /** Unknown fields of every wire type, and a field sent twice (the last one wins). */
    private static byte[] withExtras(byte[] record, Random random) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        if (random.nextBoolean()) {
            o.writeUInt64(9, random.nextLong());
            o.writeFixed32(10, random.nextInt());
            o.writeFixed64(11, random.nextLong());
            o.writeBytes(12, ByteString.copyFromUtf8("unknown"));
        }
        if (random.nextBoolean()) {
            o.writeString(3, "an earlier caption");
        }
        o.writeRawBytes(record);
        o.flush();
        return out.toByteArray();
    }

    private static byte[] withRepeatedCaption() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        o.writeString(3, "first");
        o.writeString(1, "img-1");
        o.writeString(3, "second 🐶");
        o.flush();
        return out.toByteArray();
    }

    private static String text(Random random) {
        StringBuilder s = new StringBuilder();
        for (int n = random.nextInt(5); n > 0; n--) {
            s.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b));
        }
        return s.toString();
    }
}
