package dev.maws.platform.corpus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The good samples of one shard: key to where its image lies in the tar and its caption, so one
 * image is read with a ranged GET ({@link CorpusShard#read(long, int)}) and a whole shard is
 * streamed and joined by key.
 *
 * <p>File format: UTF-8 JSON lines. The first line is the header, each further line one entry, in
 * tar order (strictly increasing offsets):
 * <pre>
 * {"format":"maws-shard-index","version":1,"shard":"shard-00007.tar","entries":2}
 * {"key":"00070001","offset":1536,"length":48213,"format":"JPEG","caption":"a red bicycle"}
 * {"key":"sub/00070002","offset":51200,"length":3021,"format":"PNG","caption":"two cats"}
 * </pre>
 * {@code offset} is the byte offset of the image member's data in the tar, {@code length} its
 * length; {@code format} is the sniffed {@link ImageFormat}. Any change of fields is a new version;
 * a reader refuses versions it does not know. The {@code entries} count tells a cut-off file.
 */
public final class ShardIndex {
    public static final String FORMAT = "maws-shard-index";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = JsonMapper.builder().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET).build();

    /** One good sample: its image at {@code [offset, offset + length)} of the tar, and its caption. */
    public record Entry(String key, long offset, int length, ImageFormat format, String caption) {
        public Entry {
            if (key == null || key.isEmpty() || offset < 0 || length < 0 || format == null || caption == null) {
                throw new IllegalArgumentException("an index entry needs a key, offset >= 0, length >= 0, a format and a caption");
            }
        }

        public static Entry of(CorpusSample s) {
            return new Entry(s.key(), s.image().offset(), s.image().length(), s.image().format(), s.caption());
        }
    }

    /** The first line of the file. */
    private record Header(String format, int version, String shard, long entries) {
    }

    private final String shard;
    private final List<Entry> entries;
    private final Map<String, Entry> byKey;

    /**
     * @param shard the name the shard is stored under (a file name or object key)
     * @throws IllegalArgumentException when keys repeat or offsets do not increase
     */
    public ShardIndex(String shard, List<Entry> entries) {
        this.shard = Objects.requireNonNull(shard, "shard");
        this.entries = List.copyOf(entries);
        this.byKey = new HashMap<>(entries.size() * 2);
        long previous = -1;
        for (Entry e : this.entries) {
            if (byKey.put(e.key(), e) != null) {
                throw new IllegalArgumentException("index of " + shard + " has the key " + e.key() + " twice");
            }
            if (e.offset() <= previous) {
                throw new IllegalArgumentException("index of " + shard + ": offsets must increase, " + e.offset() + " after " + previous);
            }
            previous = e.offset();
        }
    }

    /** Collects a shard's samples as a {@link ShardReader} hands them on. */
    public static Builder builder(String shard) {
        return new Builder(shard);
    }

    public String shard() {
        return shard;
    }

    /** In tar order. */
    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> find(String key) {
        return Optional.ofNullable(byKey.get(key));
    }

    /** Writes the file format above; {@code out} is flushed, not closed. */
    public void write(OutputStream out) throws IOException {
        JSON.writeValue(out, new Header(FORMAT, VERSION, shard, entries.size()));
        out.write('\n');
        for (Entry e : entries) {
            JSON.writeValue(out, e);
            out.write('\n');
        }
        out.flush();
    }

    /**
     * Reads the file format above to its end ({@code in} is not closed).
     *
     * @throws IllegalArgumentException naming the line when the file is not an index of this version,
     *     an entry is malformed, or the file holds fewer or more entries than its header says
     */
    public static ShardIndex read(InputStream in) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String first = lines.readLine();
        if (first == null) {
            throw new IllegalArgumentException("a shard index is empty");
        }
        Header header = parse(first, Header.class, 1);
        if (!FORMAT.equals(header.format()) || header.version() != VERSION) {
            throw new IllegalArgumentException("not a " + FORMAT + " of version " + VERSION + ": format " + header.format()
                    + ", version " + header.version());
        }
        List<Entry> entries = new ArrayList<>();
        int number = 1;
        for (String line; (line = lines.readLine()) != null;) {
            number++;
            if (!line.isEmpty()) {
                entries.add(parse(line, Entry.class, number));
            }
        }
        if (entries.size() != header.entries()) {
            throw new IllegalArgumentException("index of " + header.shard() + " says " + header.entries() + " entries and holds "
                    + entries.size());
        }
        return new ShardIndex(header.shard(), entries);
    }

    private static <T> T parse(String line, Class<T> type, int number) {
        try {
            return JSON.readValue(line, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("shard index line " + number + " is not a valid "
                    + (type == Header.class ? "header" : "entry") + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Takes samples in tar order; {@link #build()} makes the index. */
    public static final class Builder implements Consumer<CorpusSample> {
        private final String shard;
        private final List<Entry> entries = new ArrayList<>();

        private Builder(String shard) {
            this.shard = shard;
        }

        @Override
        public void accept(CorpusSample sample) {
            entries.add(Entry.of(sample));
        }

        public ShardIndex build() {
            return new ShardIndex(shard, entries);
        }
    }

    @Override
    public String toString() {
        return "ShardIndex[" + shard + ", " + entries.size() + " entries]";
    }
}
