package dev.maws.platform.corpus;

import java.util.Map;

/**
 * One good sample of a corpus: an image and its caption under one WebDataset key.
 *
 * @param shard {@link CorpusShard#name()} of the shard it came from
 * @param key the members' path up to the first dot of the file name ({@code dir/abc} for
 *     {@code dir/abc.jpg}), unique in the corpus read
 * @param caption the caption, UTF-8 decoded, surrounding white space stripped; never empty
 * @param image the image member
 * @param metadata other members of the key, extension (lower case) to bytes, bounded by
 *     {@link CorpusLimits}; a {@code json} member is here when the caption came from {@code txt}
 */
public record CorpusSample(String shard, String key, String caption, Image image, Map<String, byte[]> metadata) {

    /**
     * The image member, not decoded.
     *
     * @param extension the member's extension, lower case ({@code jpg}, {@code jpeg}, {@code png}, {@code webp})
     * @param format what its first bytes say it is (may differ from the extension; decode by this)
     * @param offset byte offset of the member's data in the tar file
     * @param length the data's length in bytes ({@code bytes.length})
     * @param bytes the member's data
     */
    public record Image(String extension, ImageFormat format, long offset, int length, byte[] bytes) {
    }
}
