package dev.maws.k8s;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What a service's code is configured with in a cluster: its {@code application.properties} as the prod
 * profile sees it (plain keys, {@code %prod.} overrides; {@code %dev.}/{@code %test.} ignored), overridden by
 * the environment its container gets, as Quarkus reads it ({@code quarkus.http.port} from
 * {@code QUARKUS_HTTP_PORT}). The ports the checks expect come from here, not from a second copy in the tests.
 */
record ServiceConfig(String module, Map<String, String> properties, Map<String, String> env) {

    static final String[] MODULES = {"label-service", "trainer-service", "inference-service"};

    static ServiceConfig load(String module, Map<String, String> env) {
        Path file = Manifests.root().resolve(module).resolve("src/main/resources/application.properties");
        Properties raw = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            raw.load(in);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
        Map<String, String> prod = new HashMap<>();
        raw.stringPropertyNames().stream().filter(k -> !k.startsWith("%")).forEach(k -> prod.put(k, raw.getProperty(k)));
        raw.stringPropertyNames().stream().filter(k -> k.startsWith("%prod."))
                .forEach(k -> prod.put(k.substring("%prod.".length()), raw.getProperty(k)));
        return new ServiceConfig(module, prod, env);
    }

    /** The environment variable Quarkus maps to a property: {@code quarkus.http.port} -> {@code QUARKUS_HTTP_PORT}. */
    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    String get(String property, String defaultValue) {
        String fromEnv = env.get(envName(property));
        if (fromEnv != null) {
            return fromEnv;
        }
        return properties.getOrDefault(property, defaultValue);
    }

    int getInt(String property, int defaultValue) {
        return Integer.parseInt(get(property, String.valueOf(defaultValue)).trim());
    }

    /** REST (and, unless separate, gRPC): Quarkus' default 8080. */
    int httpPort() {
        return getInt("quarkus.http.port", 8080);
    }

    /** Quarkus gRPC runs a separate server (port 9000) unless use-separate-server=false. */
    int grpcPort() {
        boolean separate = Boolean.parseBoolean(get("quarkus.grpc.server.use-separate-server", "true"));
        return separate ? getInt("quarkus.grpc.server.port", 9000) : httpPort();
    }

    /** Health is on the HTTP port unless the management interface (default port 9000) is enabled. */
    int healthPort() {
        return Boolean.parseBoolean(get("quarkus.management.enabled", "false"))
                ? getInt("quarkus.management.port", 9000) : httpPort();
    }
}
