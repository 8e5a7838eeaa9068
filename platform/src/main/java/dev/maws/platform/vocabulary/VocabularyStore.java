package dev.maws.platform.vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.platform.objectstore.ObjectStore;

/** Frozen vocabularies in the platform bucket ({@code vocab/{version}.json}). */
@Singleton
public class VocabularyStore {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final ObjectStore store;

    public VocabularyStore(ObjectStore store) {
        this.store = store;
    }

    /** The vocabulary of a version, or empty when there is none; a bad version is an IllegalArgumentException. */
    public Optional<Vocabulary> find(String version) {
        return store.find(Vocabulary.key(version)).map(bytes -> {
            try {
                Vocabulary v = JSON.readValue(bytes, Vocabulary.class);
                if (v.entries().size() != v.size()) {
                    throw new IOException("size " + v.size() + " but " + v.entries().size() + " entries");
                }
                return v;
            } catch (IOException e) {
                throw new UncheckedIOException("vocab/" + version + ".json is not a vocabulary: " + e.getMessage(), e);
            }
        });
    }

    /** Writes a vocabulary under its version (versions are immutable: the caller picks a new one). */
    public void put(Vocabulary vocabulary) {
        try {
            store.put(Vocabulary.key(vocabulary.version()), JSON.writeValueAsBytes(vocabulary), "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
