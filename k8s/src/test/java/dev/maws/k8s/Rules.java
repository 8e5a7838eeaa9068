package dev.maws.k8s;

import static dev.maws.k8s.Manifests.id;
import static dev.maws.k8s.Manifests.kind;
import static dev.maws.k8s.Manifests.list;
import static dev.maws.k8s.Manifests.map;
import static dev.maws.k8s.Manifests.name;
import static dev.maws.k8s.Manifests.podSpec;
import static dev.maws.k8s.Manifests.value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The platform's rules for the rendered manifests (k8s issue, "Validated in CI"). Each method returns the
 * violations it finds, one line each naming the object, so a test can show them all at once, and a test can
 * feed it a broken object to see it fail.
 */
final class Rules {
    private Rules() {}

    /** Env variable or ConfigMap key names that hold credentials: only from Secrets. */
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(PASSWORD|SECRET|TOKEN|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL).*");

    // ---- every container -------------------------------------------------------------------------

    /**
     * Every container of every workload: a pinned image, resource requests and limits (cpu and memory), and the
     * restricted securityContext (non-root, read-only root filesystem, no privilege escalation, all capabilities
     * dropped, RuntimeDefault seccomp; pod-level values count for runAsNonRoot and seccomp). Long-running
     * workloads also need liveness and readiness probes. Pods run under their own ServiceAccount without a
     * mounted token.
     */
    static List<String> containers(List<Map<String, Object>> objs) {
        List<String> v = new ArrayList<>();
        for (Map<String, Object> obj : objs) {
            Map<String, Object> pod = podSpec(obj);
            if (pod.isEmpty()) {
                continue;
            }
            boolean longRunning = !List.of("Job", "CronJob", "TrainingRuntime").contains(kind(obj));
            Map<String, Object> podSecurity = map(pod, "securityContext");
            if (!Boolean.FALSE.equals(pod.get("automountServiceAccountToken"))) {
                v.add(id(obj) + ": automountServiceAccountToken must be false");
            }
            Object sa = pod.get("serviceAccountName");
            if (sa == null || "default".equals(sa)) {
                v.add(id(obj) + ": runs under the default ServiceAccount; give it its own");
            } else if (Manifests.find(objs, "ServiceAccount", sa.toString()).isEmpty()) {
                v.add(id(obj) + ": ServiceAccount " + sa + " is not among the manifests");
            }
            List<Map<String, Object>> all = new ArrayList<>(list(pod, "initContainers"));
            all.addAll(list(pod, "containers"));
            for (Map<String, Object> c : all) {
                String where = id(obj) + " container " + c.get("name");
                imageProblem(String.valueOf(c.get("image"))).ifPresent(p -> v.add(where + ": " + p));
                for (String section : List.of("requests", "limits")) {
                    for (String resource : List.of("cpu", "memory")) {
                        if (value(c, "resources", section, resource) == null) {
                            v.add(where + ": no resources." + section + "." + resource);
                        }
                    }
                }
                Map<String, Object> sc = map(c, "securityContext");
                if (!Boolean.FALSE.equals(sc.get("allowPrivilegeEscalation"))) {
                    v.add(where + ": securityContext.allowPrivilegeEscalation must be false");
                }
                if (!Boolean.TRUE.equals(sc.get("readOnlyRootFilesystem"))) {
                    v.add(where + ": securityContext.readOnlyRootFilesystem must be true");
                }
                if (Boolean.TRUE.equals(sc.get("privileged"))) {
                    v.add(where + ": privileged");
                }
                Object nonRoot = sc.containsKey("runAsNonRoot") ? sc.get("runAsNonRoot") : podSecurity.get("runAsNonRoot");
                if (!Boolean.TRUE.equals(nonRoot)) {
                    v.add(where + ": runAsNonRoot must be true (container or pod securityContext)");
                }
                if (Objects.equals(value(c, "securityContext", "runAsUser"), 0)
                        || (!sc.containsKey("runAsUser") && Objects.equals(podSecurity.get("runAsUser"), 0))) {
                    v.add(where + ": runs as UID 0");
                }
                Object drop = value(c, "securityContext", "capabilities", "drop");
                if (!(drop instanceof List<?> l && l.contains("ALL"))) {
                    v.add(where + ": securityContext.capabilities.drop must contain ALL");
                }
                if (value(c, "securityContext", "capabilities", "add") instanceof List<?> add && !add.isEmpty()) {
                    v.add(where + ": adds capabilities " + add);
                }
                Object seccomp = sc.containsKey("seccompProfile") ? value(c, "securityContext", "seccompProfile", "type")
                        : value(podSecurity, "seccompProfile", "type");
                if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
                    v.add(where + ": seccompProfile.type must be RuntimeDefault (container or pod securityContext)");
                }
                boolean isInit = list(pod, "initContainers").contains(c);
                if (longRunning && !isInit) {
                    for (String probe : List.of("livenessProbe", "readinessProbe")) {
                        if (map(c, probe).isEmpty()) {
                            v.add(where + ": no " + probe);
                        }
                    }
                }
            }
        }
        return v;
    }

    /** Why an image reference is not pinned: no tag, or {@code :latest}; empty when it has a version tag or a digest. */
    static Optional<String> imageProblem(String image) {
        if (image == null || image.isBlank() || "null".equals(image)) {
            return Optional.of("no image");
        }
        if (image.contains("@sha256:")) {
            return Optional.empty();
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        if (colon < slash + 1) {
            return Optional.of("image " + image + " has no tag (pin a version)");
        }
        if ("latest".equals(image.substring(colon + 1))) {
            return Optional.of("image " + image + " uses :latest (pin a version)");
        }
        return Optional.empty();
    }

    // ---- credentials -----------------------------------------------------------------------------

    /**
     * No credential in git: no Secret with data or stringData among the manifests (Secrets are made by hand,
     * k8s/README.md), no credential-named ConfigMap key, and credential-named env variables only by secretKeyRef.
     */
    static List<String> secrets(List<Map<String, Object>> objs) {
        List<String> v = new ArrayList<>();
        for (Map<String, Object> obj : objs) {
            switch (kind(obj)) {
                case "Secret" -> {
                    if (!map(obj, "data").isEmpty() || !map(obj, "stringData").isEmpty()) {
                        v.add(id(obj) + ": a Secret with literal data; create it with kubectl (k8s/README.md) instead");
                    }
                }
                case "ConfigMap" -> map(obj, "data").keySet().stream().filter(k -> SECRET_NAME.matcher(k).matches())
                        .forEach(k -> v.add(id(obj) + ": key " + k + " looks like a credential; use a Secret"));
                default -> {
                }
            }
            Map<String, Object> pod = podSpec(obj);
            List<Map<String, Object>> all = new ArrayList<>(list(pod, "initContainers"));
            all.addAll(list(pod, "containers"));
            for (Map<String, Object> c : all) {
                for (Map<String, Object> env : list(c, "env")) {
                    String name = String.valueOf(env.get("name"));
                    if (SECRET_NAME.matcher(name).matches() && map(env, "valueFrom", "secretKeyRef").isEmpty()) {
                        v.add(id(obj) + " container " + c.get("name") + ": env " + name + " must come from a secretKeyRef");
                    }
                }
            }
        }
        return v;
    }

    // ---- the services' ports, probes and wiring ----------------------------------------------------

    /** The environment a container gets: its ConfigMaps (envFrom) and literal env values. */
    static Map<String, String> environment(List<Map<String, Object>> objs, Map<String, Object> container) {
        Map<String, String> env = new HashMap<>();
        for (Map<String, Object> from : list(container, "envFrom")) {
            Object cm = value(from, "configMapRef", "name");
            if (cm != null) {
                Manifests.find(objs, "ConfigMap", cm.toString())
                        .ifPresent(o -> map(o, "data").forEach((k, val) -> env.put(k, String.valueOf(val))));
            }
        }
        for (Map<String, Object> e : list(container, "env")) {
            if (e.get("value") != null) {
                env.put(String.valueOf(e.get("name")), String.valueOf(e.get("value")));
            }
        }
        return env;
    }

    static Map<String, Object> serviceContainer(List<Map<String, Object>> objs, String module) {
        Map<String, Object> deployment = Manifests.get(objs, "Deployment", module);
        return list(podSpec(deployment), "containers").stream().filter(c -> module.equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("Deployment/" + module + " has no container named " + module));
    }

    static ServiceConfig config(List<Map<String, Object>> objs, String module) {
        return ServiceConfig.load(module, environment(objs, serviceContainer(objs, module)));
    }

    /** A port reference (number, or the name of a container port) as a number; -1 when it names no port. */
    static int resolvePort(Object port, Map<String, Object> container) {
        if (port instanceof Number n) {
            return n.intValue();
        }
        return list(container, "ports").stream().filter(p -> Objects.equals(p.get("name"), port))
                .map(p -> ((Number) p.get("containerPort")).intValue()).findFirst().orElse(-1);
    }

    /**
     * For each service: every port its code listens on (from its application.properties and its environment)
     * is a containerPort, and its Service exposes it under the right name ({@code http}; {@code grpc}, which is
     * the HTTP port when gRPC shares the HTTP server). Probes: startup, liveness and readiness on SmallRye
     * Health's paths, on the port health is served on.
     */
    static List<String> servicePorts(List<Map<String, Object>> objs) {
        List<String> v = new ArrayList<>();
        for (String module : ServiceConfig.MODULES) {
            Map<String, Object> container = serviceContainer(objs, module);
            ServiceConfig config = config(objs, module);
            Map<String, Integer> listens = Map.of("http", config.httpPort(), "grpc", config.grpcPort());
            for (var port : listens.entrySet()) {
                boolean declared = list(container, "ports").stream()
                        .anyMatch(p -> Objects.equals(((Number) p.get("containerPort")).intValue(), port.getValue()));
                if (!declared) {
                    v.add(module + ": listens on " + port.getValue() + " (" + port.getKey() + ") but declares no such containerPort");
                }
            }
            Optional<Map<String, Object>> service = Manifests.find(objs, "Service", module);
            if (service.isEmpty()) {
                v.add(module + ": no Service");
            } else {
                for (var port : listens.entrySet()) {
                    Optional<Map<String, Object>> sp = list(service.get(), "spec", "ports").stream()
                            .filter(p -> port.getKey().equals(p.get("name"))).findFirst();
                    if (sp.isEmpty()) {
                        v.add("Service/" + module + ": no port named " + port.getKey());
                        continue;
                    }
                    Object target = sp.get().getOrDefault("targetPort", sp.get().get("port"));
                    int resolved = resolvePort(target, container);
                    if (resolved != port.getValue()) {
                        v.add("Service/" + module + " port " + port.getKey() + ": targets " + target + " (" + resolved
                                + "), but the service listens on " + port.getValue());
                    }
                }
            }
            Map<String, String> paths = Map.of("startupProbe", "/q/health/started", "livenessProbe", "/q/health/live",
                    "readinessProbe", "/q/health/ready");
            for (var probe : paths.entrySet()) {
                Map<String, Object> get = map(container, probe.getKey(), "httpGet");
                if (get.isEmpty()) {
                    v.add(module + ": no " + probe.getKey() + " with httpGet " + probe.getValue());
                    continue;
                }
                if (!probe.getValue().equals(get.get("path"))) {
                    v.add(module + ": " + probe.getKey() + " path " + get.get("path") + ", expected " + probe.getValue());
                }
                if (resolvePort(get.get("port"), container) != config.healthPort()) {
                    v.add(module + ": " + probe.getKey() + " on port " + get.get("port") + ", health is on " + config.healthPort());
                }
            }
        }
        return v;
    }

    /**
     * The services reach what they are configured for: Kafka's bootstrap is the Strimzi cluster's plain
     * listener; the S3 endpoint is a Service port; inference-service's label-service client reaches
     * label-service's {@code grpc} port; every topic label-service uses is a KafkaTopic (labeled-images compacted,
     * kept forever); the ScaledObject watches label-service's own consumer group and topic and never scales
     * past the partitions of that topic.
     */
    static List<String> wiring(List<Map<String, Object>> objs) {
        List<String> v = new ArrayList<>();
        String namespace = String.valueOf(map(Manifests.get(objs, "Deployment", "label-service"), "metadata").get("namespace"));

        // Kafka bootstrap
        Map<String, Object> kafka = objs.stream().filter(o -> "Kafka".equals(kind(o))).findFirst()
                .orElseThrow(() -> new AssertionError("no Kafka rendered"));
        Map<String, Object> plain = list(kafka, "spec", "kafka", "listeners").stream()
                .filter(l -> "internal".equals(l.get("type")) && Boolean.FALSE.equals(l.get("tls"))).findFirst()
                .orElse(Map.of());
        String bootstrap = name(kafka) + "-kafka-bootstrap:" + plain.get("port");
        for (String module : ServiceConfig.MODULES) {
            ServiceConfig config = config(objs, module);
            String servers = config.get("kafka.bootstrap.servers", "");
            if (!bootstrap.equals(servers)) {
                v.add(module + ": kafka.bootstrap.servers is " + servers + ", the Kafka cluster's plain listener is " + bootstrap);
            }
            String endpoint = config.get("maws.s3.endpoint", "");
            var m = Pattern.compile("http://([^:/]+):(\\d+)/?").matcher(endpoint);
            if (!m.matches()) {
                v.add(module + ": maws.s3.endpoint " + endpoint + " is not http://SERVICE:PORT");
            } else {
                int port = Integer.parseInt(m.group(2));
                boolean served = Manifests.find(objs, "Service", m.group(1)).stream()
                        .flatMap(s -> list(s, "spec", "ports").stream())
                        .anyMatch(p -> Objects.equals(((Number) p.get("port")).intValue(), port));
                if (!served) {
                    v.add(module + ": maws.s3.endpoint " + endpoint + " is no Service port");
                }
            }
        }

        // inference-service -> label-service gRPC
        ServiceConfig inference = config(objs, "inference-service");
        String labelHost = inference.get("quarkus.grpc.clients.label-service.host", "localhost");
        int labelPort = inference.getInt("quarkus.grpc.clients.label-service.port", 9000);
        boolean reaches = Manifests.find(objs, "Service", labelHost).stream().flatMap(s -> list(s, "spec", "ports").stream())
                .anyMatch(p -> "grpc".equals(p.get("name")) && Objects.equals(((Number) p.get("port")).intValue(), labelPort));
        if (!reaches) {
            v.add("inference-service: its label-service client goes to " + labelHost + ":" + labelPort
                    + ", which is no Service's grpc port");
        }

        // topics
        ServiceConfig label = config(objs, "label-service");
        String in = label.get("mp.messaging.incoming.captions.topic", "captions");
        String out = label.get("mp.messaging.outgoing.labeled-images.topic", "labeled-images");
        String dlq = label.get("mp.messaging.outgoing.captions-dlq.topic", "captions-dlq");
        Map<String, Map<String, Object>> topics = new HashMap<>();
        objs.stream().filter(o -> "KafkaTopic".equals(kind(o))).forEach(t -> topics.put(
                String.valueOf(map(t, "spec").getOrDefault("topicName", name(t))), t));
        for (String topic : List.of(in, out, dlq)) {
            if (!topics.containsKey(topic)) {
                v.add("label-service uses topic " + topic + ", which has no KafkaTopic");
            }
        }
        if (topics.containsKey(out)) {
            Map<String, Object> config = map(topics.get(out), "spec", "config");
            if (!"compact".equals(String.valueOf(config.get("cleanup.policy")))) {
                v.add("KafkaTopic " + out + ": cleanup.policy must be compact (the training set keeps the latest record per image)");
            }
            if (!"-1".equals(String.valueOf(config.get("retention.ms")))) {
                v.add("KafkaTopic " + out + ": retention.ms must be -1 (kept forever)");
            }
        }

        // KEDA
        Map<String, Object> scaled = Manifests.get(objs, "ScaledObject", "label-service");
        if (!"label-service".equals(value(scaled, "spec", "scaleTargetRef", "name"))) {
            v.add("ScaledObject/label-service: scales " + value(scaled, "spec", "scaleTargetRef", "name"));
        }
        String group = label.get("mp.messaging.incoming.captions.group.id", "");
        String reset = label.get("mp.messaging.incoming.captions.auto.offset.reset", "latest");
        for (Map<String, Object> trigger : list(scaled, "spec", "triggers")) {
            if (!"kafka".equals(trigger.get("type"))) {
                continue;
            }
            Map<String, Object> md = map(trigger, "metadata");
            expect(v, "ScaledObject/label-service consumerGroup", group, md.get("consumerGroup"));
            expect(v, "ScaledObject/label-service topic", in, md.get("topic"));
            expect(v, "ScaledObject/label-service offsetResetPolicy", reset, md.get("offsetResetPolicy"));
            // KEDA's operator is in another namespace: the bootstrap service by its namespaced name.
            expect(v, "ScaledObject/label-service bootstrapServers",
                    name(kafka) + "-kafka-bootstrap." + namespace + ".svc:" + plain.get("port"), md.get("bootstrapServers"));
            Object partitions = topics.containsKey(in) ? value(topics.get(in), "spec", "partitions") : null;
            Object max = value(scaled, "spec", "maxReplicaCount");
            if (partitions instanceof Number p && max instanceof Number mx && mx.intValue() > p.intValue()) {
                v.add("ScaledObject/label-service: maxReplicaCount " + mx + " > " + p + " partitions of " + in
                        + " (the extra consumers would idle)");
            }
        }
        return v;
    }

    private static void expect(List<String> v, String what, Object expected, Object actual) {
        if (!Objects.equals(String.valueOf(expected), String.valueOf(actual))) {
            v.add(what + " is " + actual + ", expected " + expected);
        }
    }

    // ---- scaling, disruption, network ------------------------------------------------------------

    /**
     * label-service is scaled by KEDA and inference-service by an HPA (so their Deployments leave replicas
     * unset), both have a PodDisruptionBudget that selects their pods; the trainer is one pod, replaced by
     * Recreate (one trainer per bucket).
     */
    static List<String> scaling(List<Map<String, Object>> objs) {
        List<String> v = new ArrayList<>();
        for (String module : List.of("label-service", "inference-service")) {
            Map<String, Object> deployment = Manifests.get(objs, "Deployment", module);
            if (value(deployment, "spec", "replicas") != null) {
                v.add("Deployment/" + module + ": replicas set, but an autoscaler owns them (kubectl apply would reset them)");
            }
            Map<String, Object> podLabels = map(deployment, "spec", "template", "metadata", "labels");
            boolean budget = objs.stream().filter(o -> "PodDisruptionBudget".equals(kind(o)))
                    .anyMatch(pdb -> selects(map(pdb, "spec", "selector", "matchLabels"), podLabels));
            if (!budget) {
                v.add("Deployment/" + module + ": no PodDisruptionBudget selects its pods");
            }
        }
        boolean hpa = objs.stream().filter(o -> "HorizontalPodAutoscaler".equals(kind(o)))
                .anyMatch(h -> "inference-service".equals(value(h, "spec", "scaleTargetRef", "name")));
        if (!hpa) {
            v.add("no HorizontalPodAutoscaler scales inference-service");
        }
        Map<String, Object> trainer = Manifests.get(objs, "Deployment", "trainer-service");
        if (!Objects.equals(value(trainer, "spec", "replicas"), 1)) {
            v.add("Deployment/trainer-service: replicas must be 1 (one trainer per bucket)");
        }
        if (!"Recreate".equals(value(trainer, "spec", "strategy", "type"))) {
            v.add("Deployment/trainer-service: strategy must be Recreate (never two trainers at once)");
        }
        return v;
    }

    /** Does a matchLabels selector select pods with these labels? An empty selector selects every pod. */
    static boolean selects(Map<String, Object> matchLabels, Map<String, Object> labels) {
        return matchLabels.entrySet().stream().allMatch(e -> Objects.equals(String.valueOf(e.getValue()),
                String.valueOf(labels.get(e.getKey()))));
    }

    /**
     * Ingress is denied by default; inference-service and label-service are reachable from outside the
     * namespace (on their HTTP port), the trainer only from pods of the namespace.
     */
    static List<String> networkPolicies(List<Map<String, Object>> objs) {
        List<String> v = new ArrayList<>();
        List<Map<String, Object>> policies = objs.stream().filter(o -> "NetworkPolicy".equals(kind(o))).toList();
        boolean defaultDeny = policies.stream().anyMatch(p -> map(p, "spec", "podSelector").isEmpty()
                && String.valueOf(value(p, "spec", "policyTypes")).contains("Ingress") && list(p, "spec", "ingress").isEmpty());
        if (!defaultDeny) {
            v.add("no default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no rules)");
        }
        for (String module : ServiceConfig.MODULES) {
            Map<String, Object> labels = map(Manifests.get(objs, "Deployment", module), "spec", "template", "metadata", "labels");
            List<Map<String, Object>> rules = policies.stream()
                    .filter(p -> !map(p, "spec", "podSelector").isEmpty())
                    .filter(p -> selects(map(p, "spec", "podSelector", "matchLabels"), labels))
                    .flatMap(p -> list(p, "spec", "ingress").stream()).toList();
            boolean fromOutside = rules.stream().anyMatch(r -> list(r, "from").isEmpty()
                    || list(r, "from").stream().anyMatch(f -> f.containsKey("namespaceSelector") || f.containsKey("ipBlock")));
            boolean public_ = !module.equals("trainer-service");
            if (public_ && !fromOutside) {
                v.add(module + ": not reachable from outside the namespace");
            }
            if (!public_ && fromOutside) {
                v.add(module + ": reachable from outside the namespace; its API must stay internal");
            }
            if (rules.isEmpty()) {
                v.add(module + ": no NetworkPolicy admits any traffic to it");
            }
        }
        return v;
    }

    // ---- overlays ----------------------------------------------------------------------------------

    /**
     * The images of the services are the ones the build makes (maws/NAME:VERSION, the CUDA trainer
     * VERSION-cuda). In the gpu overlay the trainer asks for a GPU, is scheduled on GPU nodes (node selector
     * and toleration), gets a memory-backed /dev/shm and runs on the GPU; in the cpu overlay nothing asks for
     * a GPU.
     */
    static List<String> overlay(List<Map<String, Object>> objs, String overlay, String version) {
        List<String> v = new ArrayList<>();
        boolean gpu = "gpu".equals(overlay);
        for (String module : ServiceConfig.MODULES) {
            String expected = "maws/" + module + ":" + version + (gpu && module.equals("trainer-service") ? "-cuda" : "");
            String image = String.valueOf(serviceContainer(objs, module).get("image"));
            if (!image.equals(expected) && !image.endsWith("/" + expected)) {
                v.add(module + ": image " + image + ", expected " + expected + " (the Jib build's name and tag)");
            }
        }
        Map<String, Object> trainer = Manifests.get(objs, "Deployment", "trainer-service");
        Map<String, Object> pod = podSpec(trainer);
        Map<String, Object> container = serviceContainer(objs, "trainer-service");
        String device = config(objs, "trainer-service").get("maws.djl.device", "cpu");
        if (gpu) {
            Object gpus = value(container, "resources", "limits", "nvidia.com/gpu");
            if (gpus == null || Integer.parseInt(String.valueOf(gpus)) < 1) {
                v.add("trainer-service: no nvidia.com/gpu limit");
            }
            gpuNode("trainer-service", pod, container, v);
            if (!device.startsWith("gpu")) {
                v.add("trainer-service: maws.djl.device is " + device + " on a GPU node");
            }
        } else {
            for (Map<String, Object> obj : objs) {
                for (Map<String, Object> c : list(podSpec(obj), "containers")) {
                    if (value(c, "resources", "limits", "nvidia.com/gpu") != null) {
                        v.add(id(obj) + ": asks for a GPU in the " + overlay + " overlay");
                    }
                }
            }
            if (!"cpu".equals(device)) {
                v.add("trainer-service: maws.djl.device is " + device + " in the " + overlay + " overlay");
            }
        }
        return v;
    }

    /** A pod on a GPU node: node selector, toleration of the nvidia.com/gpu taint, memory-backed /dev/shm. */
    private static void gpuNode(String who, Map<String, Object> pod, Map<String, Object> container, List<String> v) {
        if (map(pod, "nodeSelector").isEmpty() && map(pod, "affinity", "nodeAffinity").isEmpty()) {
            v.add(who + ": no node selector for GPU nodes");
        }
        if (list(pod, "tolerations").stream().noneMatch(t -> "nvidia.com/gpu".equals(t.get("key")))) {
            v.add(who + ": no toleration for the nvidia.com/gpu taint");
        }
        boolean shm = list(container, "volumeMounts").stream().filter(m -> "/dev/shm".equals(m.get("mountPath")))
                .anyMatch(m -> list(pod, "volumes").stream().anyMatch(vol -> Objects.equals(vol.get("name"), m.get("name"))
                        && "Memory".equals(value(vol, "emptyDir", "medium"))));
        if (!shm) {
            v.add(who + ": /dev/shm is not a memory-backed emptyDir");
        }
    }

    // ---- the trainer gang (Kubeflow Trainer v2) ------------------------------------------------------

    /** The variables of the torchrun launch contract the operator sets; a TrainJob may not set them. */
    private static final List<String> PET = List.of("PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR",
            "PET_MASTER_PORT");

    /**
     * Every TrainJob is a gang of trainer workers (k8s/README.md, "Training across nodes"): it runs a
     * TrainingRuntime rendered before it (the operator refuses a TrainJob whose runtime does not exist yet)
     * with the torch policy, in the container the operator fills ({@code node}); the worker is the CUDA trainer
     * image with its own entrypoint and the trainer Deployment's configuration (the same envFrom, the same
     * env entries), plus MAWS_TRAINER_WORKER_JOB and MAWS_TRAINER_WORKER_SPEC (from a rendered ConfigMap key
     * holding a JobSpec whose {@code processes} is numNodes x numProcPerNode); numProcPerNode is set (else the
     * operator writes "auto") and equals the pod's nvidia.com/gpu; the pods sit on GPU nodes; a failed pod
     * fails its Job and restarts the gang a bounded number of times; the pods carry the trainer's Kafka and S3
     * client labels and a NetworkPolicy lets them reach each other on every TCP port.
     */
    static List<String> trainerGang(List<Map<String, Object>> objs, String version) {
        List<String> v = new ArrayList<>();
        List<Map<String, Object>> jobs = objs.stream().filter(o -> "TrainJob".equals(kind(o))).toList();
        if (jobs.isEmpty()) {
            v.add("no TrainJob rendered");
        }
        Map<String, Object> deployment = Manifests.get(objs, "Deployment", "trainer-service");
        Map<String, Object> trainer = serviceContainer(objs, "trainer-service");
        for (Map<String, Object> job : jobs) {
            String who = id(job);
            Map<String, Object> ref = map(job, "spec", "runtimeRef");
            if (!"TrainingRuntime".equals(ref.get("kind")) || !"trainer.kubeflow.org".equals(ref.get("apiGroup"))) {
                v.add(who + ": runtimeRef is not a trainer.kubeflow.org TrainingRuntime: " + ref);
                continue;
            }
            Optional<Map<String, Object>> found = Manifests.find(objs, "TrainingRuntime", String.valueOf(ref.get("name")));
            if (found.isEmpty()) {
                v.add(who + ": TrainingRuntime/" + ref.get("name") + " is not rendered");
                continue;
            }
            Map<String, Object> runtime = found.get();
            if (objs.indexOf(runtime) > objs.indexOf(job)) {
                v.add(who + ": rendered before TrainingRuntime/" + name(runtime) + " (kubectl apply -k would send it first)");
            }
            if (!map(runtime, "spec", "mlPolicy").containsKey("torch")) {
                v.add(id(runtime) + ": no torch mlPolicy (the PET_* variables)");
            }
            Map<String, Object> rJob = Manifests.trainerJob(runtime);
            Map<String, Object> pod = podSpec(runtime);
            Map<String, Object> node = list(pod, "containers").stream().filter(c -> "node".equals(c.get("name"))).findFirst()
                    .orElse(Map.of());
            if (node.isEmpty()) {
                v.add(id(runtime) + ": no trainer job with a container named node");
                continue;
            }
            Map<String, Object> jobTrainer = map(job, "spec", "trainer");

            // the trainer's image, entrypoint and configuration
            String image = String.valueOf(jobTrainer.getOrDefault("image", node.get("image")));
            String expected = "maws/trainer-service:" + version + "-cuda";
            if (!image.equals(expected) && !image.endsWith("/" + expected)) {
                v.add(who + ": image " + image + ", expected " + expected + " (the gpu trainer's)");
            }
            for (String field : List.of("command", "args")) {
                if (node.get(field) != null || jobTrainer.get(field) != null) {
                    v.add(who + ": sets " + field + "; the worker is the image's own entrypoint");
                }
            }
            if (!Objects.equals(list(trainer, "envFrom"), list(node, "envFrom"))) {
                v.add(who + ": envFrom " + list(node, "envFrom") + ", the trainer Deployment's is " + list(trainer, "envFrom"));
            }
            Map<String, Map<String, Object>> env = new java.util.LinkedHashMap<>();
            list(node, "env").forEach(e -> env.put(String.valueOf(e.get("name")), e));
            list(jobTrainer, "env").forEach(e -> env.put(String.valueOf(e.get("name")), e));
            for (Map<String, Object> e : list(trainer, "env")) {
                if (!Objects.equals(e, env.get(String.valueOf(e.get("name"))))) {
                    v.add(who + ": env " + e.get("name") + " is " + env.get(String.valueOf(e.get("name")))
                            + ", the trainer Deployment's is " + e);
                }
            }
            for (Map<String, Object> e : list(jobTrainer, "env")) {
                if (PET.contains(String.valueOf(e.get("name")))) {
                    v.add(who + ": sets " + e.get("name") + ", which the operator sets (and its webhook refuses)");
                }
            }
            Object jobId = env.getOrDefault("MAWS_TRAINER_WORKER_JOB", Map.of()).get("value");
            if (jobId == null || String.valueOf(jobId).isBlank()) {
                v.add(who + ": no MAWS_TRAINER_WORKER_JOB value (the job id)");
            }

            // world size: nodes x processes per node = the spec's processes = GPUs
            Object nodes = jobTrainer.getOrDefault("numNodes", value(runtime, "spec", "mlPolicy", "numNodes"));
            int numNodes = nodes == null ? 1 : ((Number) nodes).intValue();
            Object perNode = jobTrainer.get("numProcPerNode");
            if (!(perNode instanceof Number)) {
                v.add(who + ": spec.trainer.numProcPerNode is not set (the operator would set PET_NPROC_PER_NODE=auto)");
                continue;
            }
            int world = numNodes * ((Number) perNode).intValue();
            Map<String, Object> resources = jobTrainer.containsKey("resourcesPerNode") ? map(jobTrainer, "resourcesPerNode")
                    : map(node, "resources");
            Object gpus = value(resources, "limits", "nvidia.com/gpu");
            if (gpus == null || Integer.parseInt(String.valueOf(gpus)) != ((Number) perNode).intValue()) {
                v.add(who + ": nvidia.com/gpu limit " + gpus + " per pod, numProcPerNode " + perNode + " (one GPU per process)");
            }
            Map<String, Object> specRef = map(env.getOrDefault("MAWS_TRAINER_WORKER_SPEC", Map.of()), "valueFrom", "configMapKeyRef");
            Object spec = Manifests.find(objs, "ConfigMap", String.valueOf(specRef.get("name")))
                    .map(cm -> map(cm, "data").get(String.valueOf(specRef.get("key")))).orElse(null);
            if (spec == null) {
                v.add(who + ": MAWS_TRAINER_WORKER_SPEC is not a key of a rendered ConfigMap: " + specRef);
            } else {
                try {
                    JsonNode processes = Manifests.JSON.readTree(spec.toString()).path("processes");
                    if (!processes.isInt() || processes.intValue() != world) {
                        v.add(who + ": the JobSpec's processes is " + processes + ", the gang is " + numNodes + " x "
                                + perNode + " = " + world);
                    }
                } catch (java.io.IOException e) {
                    v.add(who + ": the JobSpec is not JSON: " + e.getMessage());
                }
            }

            // GPU nodes, and the whole gang restarted on a failure
            gpuNode(id(runtime), pod, node, v);
            if (!Objects.equals(value(rJob, "template", "spec", "backoffLimit"), 0)
                    || !"Never".equals(pod.get("restartPolicy"))) {
                v.add(id(runtime) + ": a failed worker must fail its Job (backoffLimit 0, restartPolicy Never) to restart the gang");
            }
            if (!(value(runtime, "spec", "template", "spec", "failurePolicy", "maxRestarts") instanceof Number n) || n.intValue() < 1) {
                v.add(id(runtime) + ": no failurePolicy.maxRestarts: a failed Job would fail the TrainJob without a restart");
            }

            // network: the trainer's Kafka and S3 client labels, and every TCP port between the gang's pods
            Map<String, Object> labels = map(rJob, "template", "spec", "template", "metadata", "labels");
            map(deployment, "spec", "template", "metadata", "labels").forEach((k, val) -> {
                if (k.startsWith("maws.dev/") && !Objects.equals(val, labels.get(k))) {
                    v.add(id(runtime) + ": pod label " + k + " is " + labels.get(k) + ", the trainer's is " + val);
                }
            });
            boolean mesh = objs.stream().filter(o -> "NetworkPolicy".equals(kind(o)))
                    .filter(p -> !map(p, "spec", "podSelector").isEmpty() && selects(map(p, "spec", "podSelector", "matchLabels"), labels))
                    .flatMap(p -> list(p, "spec", "ingress").stream())
                    .filter(r -> list(r, "ports").isEmpty() || list(r, "ports").stream()
                            .anyMatch(port -> port.get("port") == null && "TCP".equals(port.getOrDefault("protocol", "TCP"))))
                    .anyMatch(r -> list(r, "from").stream().anyMatch(f -> f.containsKey("podSelector")
                            && !f.containsKey("namespaceSelector") && selects(map(f, "podSelector", "matchLabels"), labels)));
            if (!mesh) {
                v.add(id(runtime) + ": no NetworkPolicy lets its pods reach each other on every TCP port (rendezvous and Gloo)");
            }
        }
        return v;
    }
}
