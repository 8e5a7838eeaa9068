package dev.maws.devstack.fashion;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * Where the full Fashion-MNIST comes from, in this order: a verified copy in a cache directory, the
 * canonical download (verified, then kept in the cache), the Debian package {@code dataset-fashion-mnist},
 * else nothing (the caller falls back to the committed fixture and must say so).
 *
 * <p>A file is accepted when its <em>decompressed</em> bytes have the SHA-256 and length below: the
 * canonical release and Debian's copy are gzipped differently but hold the same IDX bytes.
 */
public final class FashionMnistSource {
    /** The release's own host (zalandoresearch/fashion-mnist README). */
    public static final URI CANONICAL = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
    /** Largest download accepted per file; the biggest (train images) is 26.4 MB. */
    static final long MAX_DOWNLOAD_BYTES = 64L << 20;

    /** One IDX file: its name and the SHA-256 and length of its decompressed bytes. */
    record IdxFile(String name, String sha256, long length) {}

    static final List<IdxFile> FILES = List.of(
            new IdxFile("train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47_040_016),
            new IdxFile("train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_008),
            new IdxFile("t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7_840_016),
            new IdxFile("t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_008));

    /** A directory with the four verified files and where they came from; {@code dir} null = none found. */
    public record Found(Path dir, String source) {}

    private final Path cacheDir;
    private final URI base;
    private final Path debianDir;
    private final List<IdxFile> files;

    public FashionMnistSource(Path cacheDir) {
        this(cacheDir, CANONICAL, FashionMnist.DEBIAN_DIR, FILES);
    }

    FashionMnistSource(Path cacheDir, URI base, Path debianDir, List<IdxFile> files) {
        this.cacheDir = cacheDir;
        this.base = base;
        this.debianDir = debianDir;
        this.files = files;
    }

    /** Finds or fetches the full set; {@code log} hears what was tried and why it failed. */
    public Found find(Consumer<String> log) {
        if (verified(cacheDir, log)) {
            return new Found(cacheDir, "download of " + base + " cached in " + cacheDir + " (checksums verified)");
        }
        try {
            download(log);
            return new Found(cacheDir, "download of " + base + " into " + cacheDir + " (checksums verified)");
        } catch (IOException e) {
            log.accept("Fashion-MNIST download from " + base + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Found(null, "interrupted");
        }
        if (verified(debianDir, log)) {
            return new Found(debianDir, "Debian package dataset-fashion-mnist (" + debianDir + ", checksums verified)");
        }
        return new Found(null, "no full set: download failed and " + debianDir + " holds no verified copy");
    }

    private boolean verified(Path dir, Consumer<String> log) {
        for (IdxFile f : files) {
            Path p = dir.resolve(f.name());
            if (!Files.isReadable(p)) {
                return false;
            }
            try {
                check(p, f);
            } catch (IOException e) {
                log.accept(p + " is not the Fashion-MNIST release: " + e.getMessage());
                return false;
            }
        }
        return true;
    }

    /** Throws unless the decompressed bytes of {@code gz} have {@code f}'s length and SHA-256. */
    static void check(Path gz, IdxFile f) throws IOException {
        MessageDigest sha = sha256();
        long n = 0;
        try (InputStream in = new DigestInputStream(new GZIPInputStream(Files.newInputStream(gz), 1 << 16), sha)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0;) {
                n += r;
                if (n > f.length()) {
                    throw new IOException("more than the " + f.length() + " bytes expected once decompressed");
                }
            }
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (n != f.length() || !got.equals(f.sha256())) {
            throw new IOException("decompressed " + n + " bytes with SHA-256 " + got + ", expected " + f.length() + " bytes with "
                    + f.sha256());
        }
    }

    private void download(Consumer<String> log) throws IOException, InterruptedException {
        Files.createDirectories(cacheDir);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        for (IdxFile f : files) {
            Path target = cacheDir.resolve(f.name());
            Path part = cacheDir.resolve(f.name() + ".part");
            log.accept("downloading " + base.resolve(f.name()));
            HttpRequest request = HttpRequest.newBuilder(base.resolve(f.name())).timeout(Duration.ofMinutes(5)).GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode() + " for " + request.uri());
                }
                byte[] bytes = body.readNBytes((int) MAX_DOWNLOAD_BYTES + 1);
                if (bytes.length > MAX_DOWNLOAD_BYTES) {
                    throw new IOException(request.uri() + " is larger than " + MAX_DOWNLOAD_BYTES + " bytes");
                }
                Files.write(part, bytes);
            }
            try {
                check(part, f);
            } catch (IOException e) {
                Files.deleteIfExists(part);
                throw new IOException(request.uri() + ": " + e.getMessage(), e);
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
