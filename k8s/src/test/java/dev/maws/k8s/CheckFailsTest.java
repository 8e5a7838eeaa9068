package dev.maws.k8s;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The checks can fail: objects broken on purpose (a misspelled field, a wrong type, a missing required field, an
 * unquoted KEDA value, a container without probes, ...) are rejected, with a message that names the problem.
 */
class CheckFailsTest {

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: broken
            spec:
              replicas: 1
              selector:
                matchLabels: {app: broken}
              template:
                metadata:
                  labels: {app: broken}
                spec:
                  containers:
                    - name: app
                      image: example/app:1.0
                      resources:
                        requests: {cpu: 100m, memory: 64Mi}
                        limits: {cpu: 200m, memory: 64Mi}
            """;

    private static void assertRejected(Map<String, Object> obj, String expectedInMessage) {
        List<String> problems = ApiSchema.validate(obj);
        assertTrue(problems.stream().anyMatch(p -> p.contains(expectedInMessage)),
                "expected a problem mentioning '" + expectedInMessage + "', got " + problems);
    }

    @Test
    void aValidObjectPasses() {
        assertTrue(ApiSchema.validate(Manifests.parseOne(DEPLOYMENT)).isEmpty(), () -> ApiSchema.validate(Manifests.parseOne(DEPLOYMENT)).toString());
    }

    @Test
    void misspelledFieldDeepInAPodTemplate() {
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("image: example/app:1.0", "imag: example/app:1.0")), "imag");
    }

    @Test
    void misplacedField() {
        // ports belong to a container, not to the pod
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("      containers:", "      ports: []\n      containers:")),
                "ports");
    }

    @Test
    void wrongType() {
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("replicas: 1", "replicas: two")), "two");
        // a quantity that is not one (MB is no Kubernetes suffix)
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("memory: 64Mi}\n", "memory: 64MB}\n")), "suffix");
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("matchLabels: {app: broken}", "matchLabels: [app]")), "matchLabels");
    }

    @Test
    void missingRequiredField() {
        // a container without a name; a Deployment without a selector
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("- name: app\n          image", "- image")), "name");
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("  selector:\n    matchLabels: {app: broken}\n", "")), "selector");
    }

    @Test
    void unknownKind() {
        assertRejected(Manifests.parseOne("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"), "no schema known");
        // a real kind under the wrong group
        assertRejected(Manifests.parseOne(DEPLOYMENT.replace("apiVersion: apps/v1", "apiVersion: extensions/v1beta1")),
                "no schema known");
    }

    @Test
    void strimziResources() {
        String topic = """
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaTopic
                metadata:
                  name: t
                  labels: {strimzi.io/cluster: maws}
                spec:
                  partitions: 3
                  replicas: 3
                """;
        assertTrue(ApiSchema.validate(Manifests.parseOne(topic)).isEmpty(), () -> ApiSchema.validate(Manifests.parseOne(topic)).toString());
        assertRejected(Manifests.parseOne(topic.replace("partitions:", "partitons:")), "partitons");
        assertRejected(Manifests.parseOne(topic.replace("partitions: 3", "partitions: many")), "many");
        assertRejected(Manifests.parseOne(topic.replace("  name: t", "  nam: t")), "nam");
        String pool = """
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaNodePool
                metadata: {name: p}
                spec:
                  replicas: 1
                  roles: [broker]
                  storage: {type: persistent-volume, size: 1Gi}
                """;
        assertRejected(Manifests.parseOne(pool), "persistent-volume");
    }

    @Test
    void kedaScaledObject() {
        String scaled = """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: s}
                spec:
                  scaleTargetRef: {name: d}
                  maxReplicaCount: 3
                  triggers:
                    - type: kafka
                      metadata: {bootstrapServers: "k:9092", consumerGroup: g, topic: t, lagThreshold: "10"}
                """;
        assertTrue(ApiSchema.validate(Manifests.parseOne(scaled)).isEmpty(), () -> ApiSchema.validate(Manifests.parseOne(scaled)).toString());
        assertRejected(Manifests.parseOne(scaled.replace("maxReplicaCount", "maxReplicas")), "maxReplicas");
        assertRejected(Manifests.parseOne(scaled.replace("lagThreshold: \"10\"", "lagThreshold: 10")), "lagThreshold");
        assertRejected(Manifests.parseOne(scaled.replace("consumerGroup: g", "consumergroup: g")), "consumergroup");
        assertRejected(Manifests.parseOne(scaled.replace("  triggers:", "  triggerz:")), "triggers");
    }

    @Test
    void rulesCatchAContainerWithoutProbesOrWithAnUnpinnedImage() {
        List<Map<String, Object>> objs = new ArrayList<>(Manifests.render("cpu"));
        Map<String, Object> label = Manifests.copy(Manifests.get(objs, "Deployment", "label-service"));
        Map<String, Object> container = Manifests.list(label, "spec", "template", "spec", "containers").get(0);
        container.remove("readinessProbe");
        container.put("image", "maws/label-service:latest");
        Manifests.map(container, "securityContext").put("readOnlyRootFilesystem", false);
        objs.replaceAll(o -> Manifests.id(o).equals("Deployment/label-service") ? label : o);
        List<String> violations = Rules.containers(objs);
        assertTrue(violations.stream().anyMatch(v -> v.contains("no readinessProbe")), violations::toString);
        assertTrue(violations.stream().anyMatch(v -> v.contains(":latest")), violations::toString);
        assertTrue(violations.stream().anyMatch(v -> v.contains("readOnlyRootFilesystem")), violations::toString);
        assertTrue(Rules.imageProblem("maws/label-service").isPresent(), "untagged image");
        assertTrue(Rules.imageProblem("registry:5000/maws/label-service").isPresent(), "a registry port is no tag");
        assertTrue(Rules.imageProblem("registry:5000/maws/label-service:1.0").isEmpty());
    }

    @Test
    void rulesCatchALiteralSecretAndAServicePortUnderTheWrongName() {
        List<Map<String, Object>> objs = new ArrayList<>(Manifests.render("cpu"));
        objs.add(Manifests.parseOne("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: maws}\nstringData: {password: hunter2}\n"));
        assertTrue(Rules.secrets(objs).stream().anyMatch(v -> v.contains("Secret/s")), () -> Rules.secrets(objs).toString());

        Map<String, Object> service = Manifests.copy(Manifests.get(objs, "Service", "label-service"));
        Manifests.list(service, "spec", "ports").forEach(p -> {
            if ("grpc".equals(p.get("name"))) {
                p.put("name", "grpc-web");
            }
        });
        objs.replaceAll(o -> Manifests.id(o).equals("Service/label-service") ? service : o);
        List<String> violations = Rules.servicePorts(objs);
        assertTrue(violations.stream().anyMatch(v -> v.contains("Service/label-service: no port named grpc")), violations::toString);
    }

    @Test
    void rulesCatchATrainerWithoutAGpuInTheGpuOverlay() {
        List<Map<String, Object>> objs = new ArrayList<>(Manifests.render("gpu"));
        Map<String, Object> trainer = Manifests.copy(Manifests.get(objs, "Deployment", "trainer-service"));
        Map<String, Object> container = Manifests.list(trainer, "spec", "template", "spec", "containers").get(0);
        Manifests.map(container, "resources", "limits").remove("nvidia.com/gpu");
        objs.replaceAll(o -> Manifests.id(o).equals("Deployment/trainer-service") ? trainer : o);
        List<String> violations = Rules.overlay(objs, "gpu", System.getProperty("maws.version", "0"));
        assertTrue(violations.stream().anyMatch(v -> v.contains("no nvidia.com/gpu limit")), violations::toString);
    }

    @Test
    void trainerGangSchemas() {
        List<Map<String, Object>> objs = Manifests.render("gpu");
        Map<String, Object> job = Manifests.copy(Manifests.get(objs, "TrainJob", "mae-multinode-1"));
        Map<String, Object> trainer = Manifests.map(job, "spec", "trainer");
        trainer.put("numNode", trainer.remove("numNodes"));
        assertRejected(job, "numNode");
        Map<String, Object> job2 = Manifests.copy(Manifests.get(objs, "TrainJob", "mae-multinode-1"));
        Manifests.map(job2, "spec", "trainer").put("numProcPerNode", "1");
        assertRejected(job2, "numProcPerNode");
        Map<String, Object> runtime = Manifests.copy(Manifests.get(objs, "TrainingRuntime", "maws-trainer"));
        Map<String, Object> node = Manifests.list(Manifests.podSpec(runtime), "containers").get(0);
        node.put("imagePullPolcy", node.remove("imagePullPolicy"));
        assertRejected(runtime, "imagePullPolcy");
        Map<String, Object> runtime2 = Manifests.copy(Manifests.get(objs, "TrainingRuntime", "maws-trainer"));
        Manifests.map(runtime2, "spec", "template", "spec", "failurePolicy").put("maxRestarts", "three");
        assertRejected(runtime2, "maxRestarts");
    }

    @Test
    void rulesCatchATrainerGangWhoseSizesOrEnvironmentDisagree() {
        String version = System.getProperty("maws.version", "0");
        List<Map<String, Object>> objs = new ArrayList<>(Manifests.render("gpu"));
        Map<String, Object> job = Manifests.copy(Manifests.get(objs, "TrainJob", "mae-multinode-1"));
        Manifests.map(job, "spec", "trainer").put("numNodes", 3);
        Manifests.list(job, "spec", "trainer", "env").removeIf(e -> "MAWS_TRAINER_WORKER_JOB".equals(e.get("name")));
        Map<String, Object> runtime = Manifests.copy(Manifests.get(objs, "TrainingRuntime", "maws-trainer"));
        Map<String, Object> node = Manifests.list(Manifests.podSpec(runtime), "containers").get(0);
        Manifests.map(node, "resources", "limits").put("nvidia.com/gpu", 2);
        node.put("image", "maws/trainer-service:" + version);
        Manifests.list(node, "env").removeIf(e -> "MAWS_S3_SECRET_KEY".equals(e.get("name")));
        objs.replaceAll(o -> Manifests.id(o).equals("TrainJob/mae-multinode-1") ? job
                : Manifests.id(o).equals("TrainingRuntime/maws-trainer") ? runtime : o);
        objs.removeIf(o -> Manifests.id(o).equals("NetworkPolicy/trainer-worker-ingress"));
        List<String> violations = Rules.trainerGang(objs, version);
        for (String expected : List.of("processes is 2, the gang is 3 x 1 = 3", "nvidia.com/gpu limit 2", "no MAWS_TRAINER_WORKER_JOB",
                "env MAWS_S3_SECRET_KEY", "image maws/trainer-service:" + version + ",", "reach each other")) {
            assertTrue(violations.stream().anyMatch(v -> v.contains(expected)), "expected '" + expected + "' in " + violations);
        }

        List<Map<String, Object>> reordered = new ArrayList<>(Manifests.render("gpu"));
        Map<String, Object> first = Manifests.get(reordered, "TrainJob", "mae-multinode-1");
        reordered.remove(first);
        reordered.add(0, first);
        assertTrue(Rules.trainerGang(reordered, version).stream().anyMatch(v -> v.contains("rendered before TrainingRuntime")),
                () -> Rules.trainerGang(reordered, version).toString());
    }
}
