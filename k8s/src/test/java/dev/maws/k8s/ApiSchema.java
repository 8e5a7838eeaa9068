package dev.maws.k8s;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Job;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;

/**
 * Checks one object against the schema of its API, offline:
 * <ul>
 * <li>Kubernetes' own kinds: the models of the official Kubernetes Java client 24 (generated from the
 * Kubernetes 1.32 OpenAPI spec). Reading an object into its model rejects fields the API does not have
 * (at every depth), missing required fields, objects where a list or scalar belongs, and values that do not
 * parse as their type (numbers, quantities such as {@code 8Gi}).</li>
 * <li>Strimzi's {@code Kafka}, {@code KafkaNodePool}, {@code KafkaTopic}: Strimzi's own API model (what its
 * operator reads), read strictly: unknown fields fail (Strimzi's models would otherwise keep them aside and
 * only warn), as do wrong types and unknown {@code type} discriminators (storage, listener, ...).</li>
 * <li>KEDA's {@code ScaledObject}: a JSON Schema written from KEDA's ScaledObject and Kafka-scaler
 * reference ({@code schemas/keda-scaledobject-v1alpha1.json}).</li>
 * <li>Kubeflow Trainer's {@code TrainJob} and {@code TrainingRuntime}: the openAPIV3Schema of their CRDs in
 * Trainer v2.3.0 ({@code schemas/trainer-*.json}), applied like the API server applies a structural schema.</li>
 * </ul>
 * A kind with none of these is a problem too: every rendered object must be checked by something.
 */
final class ApiSchema {

    /** apiVersion/kind -> the Kubernetes 1.32 model class. Add a row when the manifests use a new kind. */
    private static final Map<String, Class<?>> KUBERNETES = Map.ofEntries(
            Map.entry("v1/Namespace", V1Namespace.class),
            Map.entry("v1/ConfigMap", V1ConfigMap.class),
            Map.entry("v1/Secret", V1Secret.class),
            Map.entry("v1/Service", V1Service.class),
            Map.entry("v1/ServiceAccount", V1ServiceAccount.class),
            Map.entry("v1/PersistentVolumeClaim", V1PersistentVolumeClaim.class),
            Map.entry("apps/v1/Deployment", V1Deployment.class),
            Map.entry("apps/v1/StatefulSet", V1StatefulSet.class),
            Map.entry("batch/v1/Job", V1Job.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", V1NetworkPolicy.class),
            Map.entry("policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", V2HorizontalPodAutoscaler.class));

    /** Strimzi 0.49 serves v1 (used here) and the deprecated v1beta2 of these kinds. */
    private static final Set<String> STRIMZI_VERSIONS = Set.of("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2");
    private static final Map<String, Class<?>> STRIMZI = Map.of(
            "Kafka", Kafka.class,
            "KafkaNodePool", KafkaNodePool.class,
            "KafkaTopic", KafkaTopic.class);

    /** Custom resources checked by a JSON Schema of ours: apiVersion/kind -> schema resource. */
    private static final Map<String, String> JSON_SCHEMAS = Map.of(
            "keda.sh/v1alpha1/ScaledObject", "/schemas/keda-scaledobject-v1alpha1.json");

    /**
     * Custom resources checked by the openAPIV3Schema of their CRD, copied from the operator's release
     * (schemas/README.md): apiVersion/kind -> schema resource. Read as the API server reads a structural
     * schema ({@link #structural}).
     */
    private static final Map<String, String> CRD_SCHEMAS = Map.of(
            "trainer.kubeflow.org/v1alpha1/TrainJob", "/schemas/trainer-trainjob-v1alpha1.json",
            "trainer.kubeflow.org/v1alpha1/TrainingRuntime", "/schemas/trainer-trainingruntime-v1alpha1.json");

    /**
     * Strict Jackson for Strimzi's model: its classes (and fabric8's, which it embeds) collect unknown fields in
     * an "any setter" map instead of failing; with any-setters switched off, an unknown field is an error.
     */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated a) {
                    return Boolean.FALSE;
                }
            })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_INVALID_SUBTYPE)
            .enable(DeserializationFeature.FAIL_ON_MISSING_EXTERNAL_TYPE_ID_PROPERTY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private ApiSchema() {}

    /** The problems of one object; empty when it matches its API's schema. */
    static List<String> validate(Map<String, Object> obj) {
        String apiVersion = String.valueOf(obj.get("apiVersion"));
        String kind = Manifests.kind(obj);
        String key = apiVersion + "/" + kind;
        List<String> problems = new ArrayList<>();
        Class<?> model = KUBERNETES.get(key);
        if (model != null) {
            kubernetes(obj, model, problems);
        } else if (STRIMZI_VERSIONS.contains(apiVersion) && STRIMZI.containsKey(kind)) {
            kubernetes(Manifests.map(obj, "metadata"), V1ObjectMeta.class, problems);
            strimzi(obj, STRIMZI.get(kind), problems);
        } else if (JSON_SCHEMAS.containsKey(key)) {
            kubernetes(Manifests.map(obj, "metadata"), V1ObjectMeta.class, problems);
            jsonSchema(obj, JSON_SCHEMAS.get(key), problems);
        } else if (CRD_SCHEMAS.containsKey(key)) {
            kubernetes(Manifests.map(obj, "metadata"), V1ObjectMeta.class, problems);
            jsonSchema(obj, CRD_SCHEMAS.get(key), problems);
        } else {
            problems.add("no schema known for " + key + " (add it to ApiSchema)");
        }
        return problems;
    }

    private static void kubernetes(Map<String, Object> obj, Class<?> model, List<String> problems) {
        try {
            JsonElement json = JsonParser.parseString(Manifests.JSON.writeValueAsString(obj));
            // The models' type adapters validate (unknown and required fields, shapes) and then parse.
            Object parsed = JSON.getGson().fromJson(json, model);
            if (parsed == null) {
                problems.add("empty object");
            }
        } catch (IllegalArgumentException | com.google.gson.JsonParseException | IllegalStateException e) {
            problems.add(model.getSimpleName() + ": " + rootMessage(e));
        } catch (IOException e) {
            problems.add("not serialisable: " + e.getMessage());
        } catch (RuntimeException e) {
            // Quantity and IntOrString adapters throw their own exceptions for bad values.
            problems.add(model.getSimpleName() + ": " + rootMessage(e));
        }
    }

    private static void strimzi(Map<String, Object> obj, Class<?> model, List<String> problems) {
        try {
            STRICT.convertValue(obj, model);
        } catch (IllegalArgumentException e) {
            String message = e.getCause() instanceof JsonMappingException m
                    ? m.getOriginalMessage().lines().findFirst().orElse("") + " at " + m.getPathReference()
                    : rootMessage(e);
            problems.add("Strimzi " + model.getSimpleName() + ": " + message);
        }
    }

    private static void jsonSchema(Map<String, Object> obj, String resource, List<String> problems) {
        JsonSchema schema = loadSchema(resource);
        JsonNode node = Manifests.JSON.valueToTree(obj);
        for (ValidationMessage message : schema.validate(node)) {
            problems.add(resource.substring(resource.lastIndexOf('/') + 1) + ": " + message.getMessage());
        }
    }

    private static final Map<String, JsonSchema> SCHEMAS = new java.util.concurrent.ConcurrentHashMap<>();

    private static JsonSchema loadSchema(String resource) {
        return SCHEMAS.computeIfAbsent(resource, r -> {
            try (InputStream in = ApiSchema.class.getResourceAsStream(r)) {
                if (in == null) {
                    throw new IllegalStateException("schema resource missing: " + r);
                }
                JsonNode schema = Manifests.JSON.readTree(in);
                if (CRD_SCHEMAS.containsValue(r)) {
                    // The root's metadata is ObjectMeta, checked above like every other object's.
                    JsonNode rootMetadata = schema.path("properties").path("metadata");
                    structural(schema);
                    if (rootMetadata instanceof ObjectNode m) {
                        m.remove("additionalProperties");
                    }
                }
                return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schema);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * A CRD's structural schema as the API server applies it: an object has only the fields its schema lists
     * (unless {@code x-kubernetes-preserve-unknown-fields} or {@code additionalProperties} says otherwise; the
     * server drops the others, and kubectl's strict field validation, its default, rejects them), and an
     * {@code x-kubernetes-int-or-string} value is an integer or a string. The other {@code x-kubernetes-*}
     * extensions (list types, CEL rules) are left out: this validator does not know them.
     */
    static void structural(JsonNode node) {
        if (!(node instanceof ObjectNode schema)) {
            return;
        }
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false) && !schema.has("type") && !schema.has("anyOf")) {
            schema.putArray("type").add("integer").add("string");
        }
        if ("object".equals(schema.path("type").asText()) && !schema.has("additionalProperties") && !preserve) {
            schema.put("additionalProperties", false);
        }
        List<String> extensions = new ArrayList<>();
        schema.fieldNames().forEachRemaining(f -> {
            if (f.startsWith("x-kubernetes-")) {
                extensions.add(f);
            }
        });
        schema.remove(extensions);
        schema.path("properties").forEach(ApiSchema::structural);
        structural(schema.get("items"));
        structural(schema.get("additionalProperties"));
        for (String combinator : List.of("anyOf", "allOf", "oneOf")) {
            schema.path(combinator).forEach(ApiSchema::structural);
        }
        structural(schema.get("not"));
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        while (cause != null && cause != e) {
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
            e = cause;
            cause = e.getCause();
        }
        // The models quote the whole JSON of the object; the first line says what is wrong.
        int json = message == null ? -1 : message.indexOf(". JSON:");
        return json > 0 ? message.substring(0, json) : message;
    }
}
