package dev.maws.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both overlays as {@code kubectl apply -k} would send them: every object valid against its API's schema, and
 * the platform's rules (see {@link Rules}) hold.
 */
class OverlayTest {

    private static List<Map<String, Object>> render(String overlay) {
        List<Map<String, Object>> objs = Manifests.render(overlay);
        assertFalse(objs.isEmpty(), overlay + " renders nothing");
        return objs;
    }

    private static void assertNone(String what, List<String> violations) {
        assertTrue(violations.isEmpty(), what + ":\n  " + String.join("\n  ", violations));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyObjectMatchesItsApiSchema(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> obj : render(overlay)) {
            ApiSchema.validate(obj).forEach(p -> problems.add(Manifests.id(obj) + ": " + p));
        }
        assertNone(overlay + ": objects that do not match their API schema", problems);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void rendersThePlatform(String overlay) {
        List<Map<String, Object>> objs = render(overlay);
        Set<String> ids = objs.stream().map(Manifests::id).collect(Collectors.toSet());
        for (String expected : List.of("Namespace/maws", "Kafka/maws", "KafkaNodePool/dual-role", "KafkaTopic/captions",
                "KafkaTopic/labeled-images", "KafkaTopic/captions.dlq", "StatefulSet/minio", "Service/minio", "Job/minio-setup",
                "Deployment/label-service", "Deployment/trainer-service", "Deployment/inference-service",
                "Service/label-service", "Service/trainer-service", "Service/inference-service",
                "ScaledObject/label-service", "HorizontalPodAutoscaler/inference-service",
                "PodDisruptionBudget/label-service", "PodDisruptionBudget/inference-service")) {
            assertTrue(ids.contains(expected), overlay + " lacks " + expected + "; rendered: " + ids);
        }
        // One namespace for everything namespaced.
        Set<Object> namespaces = objs.stream().filter(o -> !"Namespace".equals(Manifests.kind(o)))
                .map(o -> Manifests.map(o, "metadata").get("namespace")).collect(Collectors.toSet());
        assertEquals(Set.of("maws"), namespaces, overlay + ": namespaces");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyContainerHasProbesResourcesAndTheRestrictedSecurityContext(String overlay) {
        assertNone(overlay, Rules.containers(render(overlay)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void credentialsOnlyFromSecretsThatAreNotInGit(String overlay) {
        assertNone(overlay, Rules.secrets(render(overlay)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyPortTheServicesListenOnIsExposedByName(String overlay) {
        assertNone(overlay, Rules.servicePorts(render(overlay)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void servicesAreWiredToKafkaS3AndEachOther(String overlay) {
        assertNone(overlay, Rules.wiring(render(overlay)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void autoscalersDisruptionBudgetsAndOneTrainer(String overlay) {
        assertNone(overlay, Rules.scaling(render(overlay)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void onlyInferenceAndLabelReachableFromOutside(String overlay) {
        assertNone(overlay, Rules.networkPolicies(render(overlay)));
    }

    @Test
    void gpuTrainerGangIsAValidTrainJobOfWorkersAsBigAsItsJobSpec() {
        List<Map<String, Object>> objs = render("gpu");
        for (String id : List.of("TrainingRuntime/maws-trainer", "TrainJob/mae-multinode-1", "ConfigMap/mae-multinode-1-spec",
                "NetworkPolicy/trainer-worker-ingress")) {
            Map<String, Object> obj = Manifests.get(objs, id.substring(0, id.indexOf('/')), id.substring(id.indexOf('/') + 1));
            assertNone(id + " against its schema", ApiSchema.validate(obj));
        }
        assertNone("gpu: the trainer gang", Rules.trainerGang(objs, System.getProperty("maws.version")));
        assertTrue(render("cpu").stream().noneMatch(o -> Manifests.kind(o).startsWith("Train")), "cpu: no trainer gang");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void imagesAndGpuScheduling(String overlay) {
        String version = System.getProperty("maws.version");
        assertTrue(version != null && !version.isBlank(), "maws.version is set by the pom");
        assertNone(overlay, Rules.overlay(render(overlay), overlay, version));
    }
}
