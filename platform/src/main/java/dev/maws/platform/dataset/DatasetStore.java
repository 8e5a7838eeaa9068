package dev.maws.platform.dataset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.objectstore.ObjectStore;

/** Dataset manifests in the platform bucket ({@code datasets/{name}/{split}/manifest.json}). */
@Singleton
public class DatasetStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore store;

    public DatasetStore(ObjectStore store) {
        this.store = store;
    }

    /**
     * The split, checked (two or more classes, labels in range, valid keys), or empty when it has no
     * manifest.
     *
     * @param maxBytes manifests larger than this are refused before they are read in full
     * @throws IllegalArgumentException naming what is wrong with the manifest
     */
    public Optional<Dataset> find(String name, String split, long maxBytes) {
        String key = Dataset.manifestKey(name, split);
        Optional<byte[]> found = store.findUpTo(key, (int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = found.get();
        if (bytes.length > maxBytes) {
            throw new IllegalArgumentException(key + " is larger than " + maxBytes + " bytes");
        }
        Dataset d;
        try {
            d = JSON.readValue(bytes, Dataset.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " is not a dataset manifest: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        if (d.classes().size() < 2) {
            problems.add("needs at least two classes, has " + d.classes().size());
        }
        if (d.examples().isEmpty()) {
            problems.add("has no examples");
        }
        for (int i = 0; i < d.examples().size() && problems.size() < 10; i++) {
            Dataset.Example e = d.examples().get(i);
            if (e == null || e.label() < 0 || e.label() >= d.classes().size()) {
                problems.add("examples[" + i + "] has label " + (e == null ? "null" : e.label()) + " outside [0, "
                        + d.classes().size() + ")");
                continue;
            }
            try { // an object, or a sample of a stored shard
                if (ShardMember.isMember(e.key())) {
                    ShardMember.parse(e.key());
                } else {
                    ObjectStore.checkKey(e.key());
                }
            } catch (IllegalArgumentException bad) {
                problems.add("examples[" + i + "]: " + bad.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(key + " " + String.join("; ", problems));
        }
        return Optional.of(new Dataset(name, split, d.classes(), d.examples()));
    }

    /** Writes a split's manifest (its images are the caller's to put). */
    public void put(Dataset dataset) {
        try {
            store.put(Dataset.manifestKey(dataset.name(), dataset.split()), JSON.writeValueAsBytes(dataset),
                    "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
