package dev.maws.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

/**
 * The objects an overlay renders to, exactly as {@code kubectl apply -k} would send them: the output of
 * {@code kubectl kustomize k8s/overlays/NAME}, one map per object. Rendered once per overlay per JVM.
 */
final class Manifests {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = JsonMapper.builder().build();

    private static final Map<String, List<Map<String, Object>>> RENDERED = new ConcurrentHashMap<>();

    private Manifests() {}

    /** The repository root (the k8s module's parent), set by the pom; the working directory's parent otherwise. */
    static Path root() {
        String root = System.getProperty("maws.root");
        return (root == null || root.isBlank() ? Path.of("..") : Path.of(root)).toAbsolutePath().normalize();
    }

    static List<Map<String, Object>> render(String overlay) {
        return RENDERED.computeIfAbsent(overlay, Manifests::kustomize);
    }

    private static List<Map<String, Object>> kustomize(String overlay) {
        Path dir = root().resolve("k8s/overlays").resolve(overlay);
        if (!Files.isDirectory(dir)) {
            throw new AssertionError("no overlay " + dir);
        }
        String kubectl = System.getProperty("kubectl", "kubectl");
        if (kubectl.isBlank()) {
            kubectl = "kubectl";
        }
        Path stderr;
        Process process;
        try {
            stderr = Files.createTempFile("kustomize-" + overlay, ".err");
            stderr.toFile().deleteOnExit();
            process = new ProcessBuilder(kubectl, "kustomize", dir.toString())
                    .redirectError(ProcessBuilder.Redirect.to(stderr.toFile())).start();
        } catch (IOException e) {
            throw new AssertionError("kubectl not found (" + e.getMessage() + "). The k8s tests render the overlays with "
                    + "`kubectl kustomize` (kubectl >= 1.27, Kustomize v5): install kubectl (.ci/run does), or point "
                    + "-Dkubectl=/path/to/kubectl at one.", e);
        }
        try {
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + dir + " did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + dir + " failed (exit " + process.exitValue() + "):\n"
                        + Files.readString(stderr));
            }
            return parseAll(new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("reading kubectl kustomize " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Every document of a multi-document YAML stream (empty documents skipped). */
    static List<Map<String, Object>> parseAll(String yaml) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (YAMLParser parser = ((YAMLFactory) YAML.getFactory()).createParser(yaml)) {
            var it = YAML.readValues(parser, new TypeReference<Map<String, Object>>() {});
            while (it.hasNext()) {
                Map<String, Object> doc = it.next();
                if (doc != null && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    static Map<String, Object> parseOne(String yaml) {
        try {
            List<Map<String, Object>> docs = parseAll(yaml);
            if (docs.size() != 1) {
                throw new IllegalArgumentException("expected one document, got " + docs.size());
            }
            return docs.get(0);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ---- navigating the untyped objects ----------------------------------------------------------

    static String kind(Map<String, Object> obj) {
        return String.valueOf(obj.get("kind"));
    }

    static String name(Map<String, Object> obj) {
        return String.valueOf(map(obj, "metadata").get("name"));
    }

    /** {@code Kind/name}, how the checks name an object. */
    static String id(Map<String, Object> obj) {
        return kind(obj) + "/" + name(obj);
    }

    static Optional<Map<String, Object>> find(List<Map<String, Object>> objs, String kind, String name) {
        return objs.stream().filter(o -> kind.equals(kind(o)) && name.equals(name(o))).findFirst();
    }

    static Map<String, Object> get(List<Map<String, Object>> objs, String kind, String name) {
        return find(objs, kind, name).orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " rendered"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> obj, String... path) {
        Object cur = obj;
        for (String key : path) {
            cur = cur instanceof Map<?, ?> m ? m.get(key) : null;
        }
        return cur instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> obj, String... path) {
        String last = path[path.length - 1];
        Object v = map(obj, java.util.Arrays.copyOf(path, path.length - 1)).get(last);
        return v instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    static Object value(Map<String, Object> obj, String... path) {
        String last = path[path.length - 1];
        return map(obj, java.util.Arrays.copyOf(path, path.length - 1)).get(last);
    }

    /**
     * The pod template spec of a workload (Deployment, StatefulSet, Job; a Kubeflow TrainingRuntime's trainer
     * pods), or empty for other kinds.
     */
    static Map<String, Object> podSpec(Map<String, Object> obj) {
        return switch (kind(obj)) {
            case "Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet" -> map(obj, "spec", "template", "spec");
            case "CronJob" -> map(obj, "spec", "jobTemplate", "spec", "template", "spec");
            case "Pod" -> map(obj, "spec");
            case "TrainingRuntime" -> map(trainerJob(obj), "template", "spec", "template", "spec");
            default -> Map.of();
        };
    }

    /**
     * The replicated Job of a TrainingRuntime's JobSet whose pods train: the one labelled
     * {@code trainer.kubeflow.org/trainjob-ancestor-step: trainer} (the one the operator sizes to numNodes and
     * gives the PET_* variables); empty when there is none.
     */
    static Map<String, Object> trainerJob(Map<String, Object> runtime) {
        return list(runtime, "spec", "template", "spec", "replicatedJobs").stream()
                .filter(j -> "trainer".equals(map(j, "template", "metadata", "labels").get("trainer.kubeflow.org/trainjob-ancestor-step")))
                .findFirst().orElse(Map.of());
    }

    static boolean isWorkload(Map<String, Object> obj) {
        return !podSpec(obj).isEmpty();
    }

    /** Deep copy, for tests that break an object on purpose. */
    static Map<String, Object> copy(Map<String, Object> obj) {
        return JSON.convertValue(obj, new TypeReference<Map<String, Object>>() {});
    }
}
