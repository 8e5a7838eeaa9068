package dev.maws.inference.api;

import java.io.IOException;
import java.util.List;

import jakarta.inject.Singleton;

import dev.maws.inference.InferenceConfig;
import dev.maws.inference.models.ModelRegistry;
import dev.maws.model.vit.VitConfig;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardMembers;
import dev.maws.platform.image.DecodedImage;
import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.image.Pixels;
import dev.maws.platform.objectstore.ObjectStore;
import dev.maws.proto.v1.Image;

/**
 * Request images -> the model's input: bytes, an object of the platform bucket or a sample of a stored
 * shard ({@code shards/{dataset}/{shard}.tar#{key}}, one ranged GET through its index), decoded (PNG or
 * JPEG, size checked before decoding), converted to the model's channels, resized to its input side
 * and normalised as in training. Every problem names the image ("images[3]: ...").
 */
@Singleton
public class ImageInputs {
    private final InferenceConfig config;
    private final ObjectStore store;
    private final ImageDecoder decoder;
    private final ShardMembers members;

    ImageInputs(InferenceConfig config, ObjectStore store) {
        this.config = config;
        this.store = store;
        this.members = new ShardMembers(store, ShardMembers.DEFAULT_INDEX_CACHE_ENTRIES);
        this.decoder = new ImageDecoder(config.maxImagePixels(), "maws.inference.max-image-pixels");
    }

    /** Most images in one request (maws.inference.max-images-per-request). */
    public int maxImages() {
        return config.maxImagesPerRequest();
    }

    /** Checks the count; the pixels come from {@link #pixels}. */
    public void checkCount(List<Image> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("images is empty: send at least one image (data or uri)");
        }
        if (images.size() > config.maxImagesPerRequest()) {
            throw new IllegalArgumentException(images.size() + " images; at most maws.inference.max-images-per-request="
                    + config.maxImagesPerRequest() + " per request");
        }
    }

    /** n x (C, S, S) floats for the model. */
    public float[] pixels(List<Image> images, ModelRegistry.Loaded model) {
        checkCount(images);
        VitConfig c = model.model().config();
        int per = c.channels() * c.imageSize() * c.imageSize();
        float[] out = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            try {
                DecodedImage img = decoder.decode(bytes(images.get(i)), c.channels());
                Pixels.resize(img, c.imageSize(), model.normalization(), out, i * per);
            } catch (ImageDecoder.BadImageException | IllegalArgumentException e) {
                throw new IllegalArgumentException("images[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    private byte[] bytes(Image image) throws ImageDecoder.BadImageException {
        switch (image.getSourceCase()) {
            case DATA -> {
                if (image.getData().size() > config.maxImageBytes()) {
                    throw new IllegalArgumentException(image.getData().size() + " bytes; at most maws.inference.max-image-bytes="
                            + config.maxImageBytes());
                }
                return image.getData().toByteArray();
            }
            case URI -> {
                String uri = image.getUri();
                if (ShardMember.isMember(uri)) {
                    return member(uri);
                }
                String key = store.keyOf(uri);
                // at most one byte past the limit is read: a uri may name any object, a checkpoint's too
                byte[] bytes = store.findUpTo(key, (int) Math.min(Integer.MAX_VALUE - 8L, config.maxImageBytes() + 1L))
                        .orElseThrow(() -> new IllegalArgumentException("no object " + uri));
                if (bytes.length > config.maxImageBytes()) {
                    throw new IllegalArgumentException(uri + " is over " + config.maxImageBytes()
                            + " bytes; at most maws.inference.max-image-bytes=" + config.maxImageBytes());
                }
                return bytes;
            }
            default -> throw new IllegalArgumentException("an image needs data (PNG/JPEG/WebP bytes) or uri");
        }
    }

    /** A sample of a stored shard, {@code shards/{dataset}/{shard}.tar#{key}}: what to fix is the caller's, S3 failing is not. */
    private byte[] member(String uri) {
        try {
            return members.read(uri, config.maxImageBytes(), "maws.inference.max-image-bytes");
        } catch (IOException e) {
            if (e.getCause() instanceof ObjectStore.ObjectStoreException unavailable) {
                throw unavailable;
            }
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
