package dev.maws.platform.dataset;

import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One split of a labelled image dataset: {@code datasets/{name}/{split}/manifest.json} in the
 * platform bucket. Evaluation datasets are written by whoever imports them (the local pipeline
 * imports Fashion-MNIST) and read by inference-service's evaluations. Their labels never pass
 * through captions: they are the ground truth.
 *
 * @param classes class names in label order, as the dataset writes them ("T-shirt/top", ...)
 * @param examples images (object keys in the platform bucket, or samples of stored shards, {@code shards/{dataset}/{shard}.tar#{key}}) and their class index
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Dataset(String name, String split, List<String> classes, List<Example> examples) {
    /** Dataset names and splits: also what keeps a request inside {@code datasets/}. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** One labelled image. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Example(String key, int label) {}

    public Dataset {
        classes = classes == null ? List.of() : List.copyOf(classes);
        examples = examples == null ? List.of() : List.copyOf(examples);
    }

    /** The manifest key of a split; both parts must match {@link #NAME}. */
    public static String manifestKey(String name, String split) {
        return prefix(name, split) + "manifest.json";
    }

    /** Where a split's objects live ("datasets/{name}/{split}/"). */
    public static String prefix(String name, String split) {
        check("dataset", name);
        check("split", split);
        return "datasets/" + name + "/" + split + "/";
    }

    private static void check(String what, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be 1-64 characters of lower-case letters, digits and ._-, "
                    + "starting with a letter or digit; got \"" + value + "\"");
        }
    }
}
