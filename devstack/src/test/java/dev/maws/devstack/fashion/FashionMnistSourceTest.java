package dev.maws.devstack.fashion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

/** The fixture's IDX files, served over real HTTP on loopback, stand in for the release. */
class FashionMnistSourceTest {
    @TempDir
    Path tmp;
    private HttpServer server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private final List<FashionMnistSource.IdxFile> files = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    @BeforeEach
    void serveTheFixture() throws Exception {
        for (FashionMnistSource.IdxFile f : FashionMnistSource.FILES) {
            byte[] gz;
            try (InputStream in = getClass().getResourceAsStream("/fashion-mnist/" + f.name())) {
                gz = in.readAllBytes();
            }
            byte[] raw = new GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes();
            served.put(f.name(), gz);
            files.add(new FashionMnistSource.IdxFile(f.name(),
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw)), raw.length));
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = served.get(exchange.getRequestURI().getPath().substring(1));
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private FashionMnistSource source(Path debian) {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        return new FashionMnistSource(tmp.resolve("cache"), base, debian, files);
    }

    @Test
    void aVerifiedDownloadIsCachedAndReadWithoutTheNetworkNextTime() throws IOException {
        FashionMnistSource.Found first = source(tmp.resolve("no-debian")).find(log::add);
        assertEquals(tmp.resolve("cache"), first.dir());
        assertTrue(first.source().startsWith("download of"), first.source());
        assertEquals(500, FashionMnist.fromDir(first.dir(), "train").size());

        server.stop(0);
        FashionMnistSource.Found second = source(tmp.resolve("no-debian")).find(log::add);
        assertEquals(tmp.resolve("cache"), second.dir());
        assertTrue(second.source().contains("cached"), second.source());
    }

    @Test
    void aCorruptDownloadIsRefusedAndTheDebianCopyIsUsed() throws IOException {
        byte[] gz = served.get("t10k-labels-idx1-ubyte.gz");
        byte[] raw = new GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes();
        raw[raw.length - 1] ^= 1; // one label changed
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(raw);
        }
        served.put("t10k-labels-idx1-ubyte.gz", out.toByteArray());
        Path debian = Files.createDirectories(tmp.resolve("debian"));
        for (FashionMnistSource.IdxFile f : FashionMnistSource.FILES) {
            try (InputStream in = getClass().getResourceAsStream("/fashion-mnist/" + f.name())) {
                Files.copy(in, debian.resolve(f.name()));
            }
        }

        FashionMnistSource.Found found = source(debian).find(log::add);

        assertEquals(debian, found.dir());
        assertTrue(log.stream().anyMatch(l -> l.contains("download") && l.contains("SHA-256")), log.toString());
        assertTrue(Files.notExists(tmp.resolve("cache/t10k-labels-idx1-ubyte.gz.part")), "a refused download is not kept");
    }

    @Test
    void withoutDownloadOrDebianCopyNothingIsFoundAndTheReasonIsGiven() {
        served.clear();
        FashionMnistSource.Found found = source(tmp.resolve("no-debian")).find(log::add);
        assertNull(found.dir());
        assertTrue(log.stream().anyMatch(l -> l.contains("HTTP 404")), log.toString());
    }
}
