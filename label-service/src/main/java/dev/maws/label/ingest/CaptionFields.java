package dev.maws.label.ingest;

import java.io.IOException;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;

import dev.maws.proto.v1.CaptionRecord;

/**
 * The text fields of a serialized {@link CaptionRecord} as the UTF-8 bytes they arrived in, so that
 * the labelled record can carry them out again without a second encoding. (Parsed into a
 * CaptionRecord they become Strings, and captions with an emoji are UTF-16 Strings: encoding them
 * back, char by char, took 9 % of the Kafka path's worker thread.) Same rules as
 * {@code CaptionRecord.parseFrom}: the last occurrence of a field wins, unknown fields are skipped,
 * and a string field that is not valid UTF-8 makes the record invalid.
 */
record CaptionFields(ByteString imageId, ByteString imageUri, ByteString caption) {
    private static final int IMAGE_ID = tag(CaptionRecord.IMAGE_ID_FIELD_NUMBER);
    private static final int IMAGE_URI = tag(CaptionRecord.IMAGE_URI_FIELD_NUMBER);
    private static final int CAPTION = tag(CaptionRecord.CAPTION_FIELD_NUMBER);
    private static final int SOURCE = tag(CaptionRecord.SOURCE_FIELD_NUMBER);

    /** @throws InvalidProtocolBufferException when the bytes are not a CaptionRecord */
    static CaptionFields parse(byte[] bytes) throws InvalidProtocolBufferException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        ByteString imageId = ByteString.EMPTY;
        ByteString imageUri = ByteString.EMPTY;
        ByteString caption = ByteString.EMPTY;
        try {
            for (int tag; (tag = in.readTag()) != 0;) {
                if (tag == IMAGE_ID) {
                    imageId = utf8(in.readBytes());
                } else if (tag == IMAGE_URI) {
                    imageUri = utf8(in.readBytes());
                } else if (tag == CAPTION) {
                    caption = utf8(in.readBytes());
                } else if (tag == SOURCE) {
                    utf8(in.readBytes());
                } else if (!in.skipField(tag)) { // an end-group tag with no group open
                    throw new InvalidProtocolBufferException("Protocol message end-group tag did not match expected tag.");
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
        return new CaptionFields(imageId, imageUri, caption);
    }

    private static ByteString utf8(ByteString field) throws InvalidProtocolBufferException {
        if (!field.isValidUtf8()) {
            throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
        }
        return field;
    }

    private static int tag(int fieldNumber) {
        return (fieldNumber << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
