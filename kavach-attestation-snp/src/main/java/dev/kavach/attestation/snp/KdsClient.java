package dev.kavach.attestation.snp;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A client for AMD's Key Distribution Service: VCEKs by chip and TCB
 * ({@code /vcek/v1/{Milan|Genoa|Turin}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..}, plus
 * {@code fmcSPL} on Turin) and the ASK+ARK ({@code /vcek/v1/{gen}/cert_chain}) or ASVK+ARK
 * ({@code /vlek/v1/{gen}/cert_chain}) chains. KDS rate-limits: HTTP 429 is retried after its
 * Retry-After, a bounded number of times; 404 is explained. Nothing fetched is trusted: the verifier
 * checks it against the pinned ARK.
 */
public final class KdsClient {
    /** How the client waits between retries; tests substitute one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /**
     * One HTTP GET. The production fetcher uses {@code java.net.http}; tests inject one that answers from
     * memory, so no test reaches the network.
     */
    @FunctionalInterface
    public interface Fetcher {
        Response get(URI uri, Duration timeout) throws IOException, InterruptedException;
    }

    /** What a {@link Fetcher} got: the status, the Retry-After header if any, and the body. */
    public record Response(int status, Optional<String> retryAfter, byte[] body) {
        public Response {
            requireNonNull(retryAfter, "retryAfter is null");
            requireNonNull(body, "body is null");
        }

        public static Response ok(byte[] body) {
            return new Response(200, Optional.empty(), body);
        }
    }

    private final URI baseUrl;
    private final Fetcher http;
    private final int maxRetries;
    private final Duration maxRetryWait;
    private final Duration timeout;
    private final Sleeper sleeper;

    public KdsClient(URI baseUrl, HttpClient http, int maxRetries, Duration maxRetryWait, Duration timeout, Sleeper sleeper) {
        this(baseUrl, fetcher(requireNonNull(http, "http is null")), maxRetries, maxRetryWait, timeout, sleeper);
    }

    public KdsClient(URI baseUrl, Fetcher fetcher, int maxRetries, Duration maxRetryWait, Duration timeout, Sleeper sleeper) {
        this.baseUrl = requireNonNull(baseUrl, "baseUrl is null");
        this.http = requireNonNull(fetcher, "fetcher is null");
        this.maxRetries = maxRetries;
        this.maxRetryWait = requireNonNull(maxRetryWait, "maxRetryWait is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.sleeper = requireNonNull(sleeper, "sleeper is null");
    }

    /**
     * A client from settings.
     *
     * @throws CertificateUnavailableException when the host did not load the {@code java.net.http} module
     */
    public static KdsClient from(AttestationSettings settings) {
        requireHttpModule();
        HttpClient http = HttpClient.newBuilder().connectTimeout(settings.kdsTimeout()).followRedirects(HttpClient.Redirect.NORMAL).build();
        return new KdsClient(settings.kdsBaseUrl(), http, settings.kdsMaxRetries(), settings.kdsMaxRetryWait(), settings.kdsTimeout(),
                d -> Thread.sleep(d.toMillis()));
    }

    /**
     * The plugin only optionally requires {@code java.net.http}: a plugin layer cannot define JDK modules,
     * so the host must have it in its boot layer. Fail with the fix rather than a NoClassDefFoundError.
     */
    private static void requireHttpModule() {
        Module self = KdsClient.class.getModule();
        if (!self.isNamed()) {
            return; // class path: every JDK module is readable
        }
        ModuleLayer layer = self.getLayer() != null ? self.getLayer() : ModuleLayer.boot();
        Optional<Module> http = layer.findModule("java.net.http");
        if (http.isEmpty()) {
            throw new CertificateUnavailableException("fetching from AMD KDS needs the JDK module java.net.http, which this Kavach host did not load",
                    "run Kavach with KAVACH_JAVA_OPTS='--add-modules java.net.http', or put the certificates in the cert directory"
                            + " (attestation.cert-dir) or pass --vcek/--chain and stay offline");
        }
        self.addReads(http.get());
    }

    private static Fetcher fetcher(HttpClient http) {
        return (uri, timeout) -> {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Accept", "application/octet-stream, application/x-pem-file, application/pkix-crl, */*").GET().build();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers().firstValue("Retry-After"), response.body());
        };
    }

    /** The hwID KDS expects for a chip: all 64 bytes of CHIP_ID, except on Turin, where only the first 8. */
    public static String hwid(SevGeneration generation, byte[] chipId) {
        byte[] id = generation.turinLayout() ? Arrays.copyOf(chipId, 8) : chipId;
        return HexFormat.of().formatHex(id);
    }

    /** The VCEK URL for a chip at a TCB. */
    public URI vcekUri(SevGeneration generation, byte[] chipId, TcbVersion tcb) {
        StringBuilder query = new StringBuilder();
        if (generation.turinLayout()) {
            query.append("fmcSPL=").append(spl(tcb.fmc())).append('&');
        }
        query.append("blSPL=").append(spl(tcb.bootLoader()))
                .append("&teeSPL=").append(spl(tcb.tee()))
                .append("&snpSPL=").append(spl(tcb.snp()))
                .append("&ucodeSPL=").append(spl(tcb.microcode()));
        return URI.create(baseUrl + "/vcek/v1/" + generation.kdsName() + "/" + hwid(generation, chipId) + "?" + query);
    }

    public URI chainUri(SevGeneration generation, SigningKey kind) {
        return URI.create(baseUrl + (kind == SigningKey.VLEK ? "/vlek/v1/" : "/vcek/v1/") + generation.kdsName() + "/cert_chain");
    }

    private static String spl(int value) {
        return String.format("%02d", value);
    }

    /** Fetches the DER VCEK for a chip and its REPORTED_TCB. */
    public byte[] fetchVcek(SevGeneration generation, byte[] chipId, TcbVersion tcb) {
        if (isZero(chipId)) {
            throw new CertificateUnavailableException("cannot fetch a VCEK: the report's CHIP_ID is masked (all zero)",
                    "launch the guest without MASK_CHIP_ID, or supply the VCEK with --vcek");
        }
        URI uri = vcekUri(generation, chipId, tcb);
        return get(uri, "the VCEK for " + generation.kdsName() + " chip " + hwid(generation, chipId).substring(0, 16) + "... at TCB "
                + tcb.components(), true);
    }

    /** The CRL URL: AMD's revocation list for the ASKs (VCEK chains) or ASVKs (VLEK chains) of a generation. */
    public URI crlUri(SevGeneration generation, SigningKey kind) {
        return URI.create(baseUrl + (kind == SigningKey.VLEK ? "/vlek/v1/" : "/vcek/v1/") + generation.kdsName() + "/crl");
    }

    /** Fetches the DER CRL, signed by the generation's ARK. */
    public byte[] fetchCrl(SevGeneration generation, SigningKey kind) {
        return get(crlUri(generation, kind), "the " + generation.kdsName() + (kind == SigningKey.VLEK ? " VLEK" : " VCEK") + " CRL", false);
    }

    /** Fetches the PEM chain: ASK then ARK for VCEKs, ASVK then ARK for VLEKs. */
    public byte[] fetchChain(SevGeneration generation, SigningKey kind) {
        return get(chainUri(generation, kind), "the " + generation.kdsName() + (kind == SigningKey.VLEK ? " ASVK" : " ASK") + "+ARK chain", false);
    }

    private byte[] get(URI uri, String what, boolean vcek) {
        for (int attempt = 0; ; attempt++) {
            Response response;
            try {
                response = http.get(uri, timeout);
            } catch (IOException e) {
                throw new CertificateUnavailableException("cannot reach AMD KDS at " + uri + " for " + what + ": " + e,
                        "check network access to " + baseUrl + ", or put the certificates in the cert directory and run offline", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CertificateUnavailableException("interrupted while fetching " + what, "retry");
            }
            int status = response.status();
            if (status == 200) {
                return response.body();
            }
            if (status == 429) {
                Duration wait = retryAfter(response).orElse(Duration.ofSeconds(1L << Math.min(attempt, 5)));
                if (attempt >= maxRetries) {
                    throw new CertificateUnavailableException("AMD KDS rate-limited the request for " + what + " (HTTP 429) "
                            + (attempt + 1) + " times; giving up after " + maxRetries + " retries",
                            "wait " + wait.toSeconds() + "s and retry, and cache certificates (attestation.cert-dir) so KDS is asked once per chip and TCB");
                }
                if (wait.compareTo(maxRetryWait) > 0) {
                    throw new CertificateUnavailableException("AMD KDS rate-limited the request for " + what + " (HTTP 429) and asks to wait "
                            + wait.toSeconds() + "s, longer than the " + maxRetryWait.toSeconds() + "s allowed (attestation.kds.max-retry-wait)",
                            "retry later, or raise attestation.kds.max-retry-wait");
                }
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CertificateUnavailableException("interrupted while waiting out KDS rate limit", "retry");
                }
                continue;
            }
            if (status == 404) {
                throw CertificateUnavailableException.notFound("AMD KDS has no " + what + " (HTTP 404 for " + uri + ")", vcek
                        ? "likely causes: the CHIP_ID is masked or wrong; the chip is another generation than the one asked"
                        + " (version 2 reports carry no CPUID: pass the generation explicitly); or no VCEK was issued for this TCB"
                        + " (a host running pre-release or rolled-back firmware)"
                        : "check the generation name and the KDS base URL (attestation.kds.base-url)");
            }
            String body = new String(response.body(), 0, Math.min(response.body().length, 200), StandardCharsets.UTF_8).strip();
            throw new CertificateUnavailableException("AMD KDS answered HTTP " + status + " for " + what + " (" + uri + ")"
                    + (body.isEmpty() ? "" : ": " + body), "retry later; if it persists, supply the certificates with --vcek/--chain");
        }
    }

    /** Retry-After as delta-seconds or an HTTP date. */
    static Optional<Duration> retryAfter(Response response) {
        Optional<String> header = response.retryAfter();
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get().trim();
        try {
            long seconds = Long.parseLong(value);
            return Optional.of(Duration.ofSeconds(Math.max(0, seconds)));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime when = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(when.getZone()), when);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException ignored) {
                return Optional.empty();
            }
        }
    }

    private static boolean isZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
