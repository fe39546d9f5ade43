package dev.kavach.attestation.snp;

import dev.kavach.api.BackendSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KDS fetching, caching, rate limits and 404s, against a server on loopback serving a self-made chain. */
class KdsClientTest {
    static SyntheticChain milan;
    static SyntheticChain turin;

    @BeforeAll
    static void chains() {
        milan = SyntheticChain.create(SevGeneration.MILAN);
        turin = SyntheticChain.create(SevGeneration.TURIN);
    }

    private final List<Duration> slept = new ArrayList<>();

    private KdsClient client(LoopbackHttpServer server, int retries) {
        return new KdsClient(server.baseUrl(), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), retries,
                Duration.ofSeconds(30), Duration.ofSeconds(30), slept::add);
    }

    private static byte[] chainPem(SyntheticChain c) {
        return (CertificateFiles.pem(c.ask) + CertificateFiles.pem(c.ark)).getBytes(StandardCharsets.US_ASCII);
    }

    private static LoopbackHttpServer kds(SyntheticChain c) throws Exception {
        return new LoopbackHttpServer(target -> {
            if (target.equals("/vcek/v1/" + c.generation.kdsName() + "/cert_chain")) {
                return LoopbackHttpServer.Response.ok(chainPem(c));
            }
            if (target.startsWith("/vcek/v1/" + c.generation.kdsName() + "/" + KdsClient.hwid(c.generation, c.chipId) + "?")) {
                try {
                    return LoopbackHttpServer.Response.ok(c.vcek.getEncoded());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            return LoopbackHttpServer.Response.status(404, Map.of());
        });
    }

    @Test
    void buildsKdsUrlsPerGeneration() throws Exception {
        try (LoopbackHttpServer server = kds(milan)) {
            KdsClient client = client(server, 0);
            String m = client.vcekUri(SevGeneration.MILAN, milan.chipId, milan.tcb).toString();
            assertTrue(m.endsWith("/vcek/v1/Milan/" + KdsClient.hwid(SevGeneration.MILAN, milan.chipId) + "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"), m);
            assertEquals(128, KdsClient.hwid(SevGeneration.MILAN, milan.chipId).length());
            String t = client.vcekUri(SevGeneration.TURIN, turin.chipId, turin.tcb).toString();
            assertTrue(t.endsWith("/vcek/v1/Turin/" + KdsClient.hwid(SevGeneration.TURIN, turin.chipId)
                    + "?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=05"), t);
            assertEquals(16, KdsClient.hwid(SevGeneration.TURIN, turin.chipId).length(), "Turin asks with the 8-byte hwID");
            assertTrue(client.chainUri(SevGeneration.GENOA, SigningKey.VLEK).toString().endsWith("/vlek/v1/Genoa/cert_chain"));
        }
    }

    @Test
    void fetchesVerifiesAndCachesSoKdsIsAskedOnce(@TempDir Path dir) throws Exception {
        for (SyntheticChain c : List.of(milan, turin)) {
            try (LoopbackHttpServer server = kds(c)) {
                AttestationReport report = AttestationReport.parse(c.report(new byte[64], 0x30000));
                CertificateStore store = new CertificateStore(dir, client(server, 0));
                VekChain chain = store.chainFor(report, Optional.empty(), List.of());
                assertTrue(new SnpAttestationVerifier(new ReportVerifier(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC), null,
                        c.anchors())).verify(report, chain, AppraisalPolicy.defaults()).passed());
                assertEquals(2, server.requests().size(), server.requests().toString());
                assertTrue(Files.isRegularFile(dir.resolve(c.generation.kdsName()).resolve("cert_chain.pem")));

                // Offline now: the cache answers, KDS sees nothing new.
                VekChain cached = new CertificateStore(dir, null).chainFor(report, Optional.empty(), List.of());
                assertEquals(chain.vek(), cached.vek());
                assertEquals(chain.ark(), cached.ark());
                new CertificateStore(dir, client(server, 0)).chainFor(report, Optional.empty(), List.of());
                assertEquals(2, server.requests().size());
            }
        }
    }

    @Test
    void rateLimitIsRetriedAfterRetryAfter() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (LoopbackHttpServer server = new LoopbackHttpServer(t -> calls.incrementAndGet() <= 2
                ? LoopbackHttpServer.Response.status(429, Map.of("Retry-After", "7"))
                : LoopbackHttpServer.Response.ok(chainPem(milan)))) {
            byte[] pem = client(server, 3).fetchChain(SevGeneration.MILAN, SigningKey.VCEK);
            assertEquals(2, CertificateFiles.parse(pem, "test").size());
            assertEquals(List.of(Duration.ofSeconds(7), Duration.ofSeconds(7)), slept);
            assertEquals(3, server.requests().size());
        }
    }

    @Test
    void rateLimitRetriesAreBounded() throws Exception {
        try (LoopbackHttpServer server = new LoopbackHttpServer(t -> LoopbackHttpServer.Response.status(429, Map.of("Retry-After", "1")))) {
            CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                    () -> client(server, 2).fetchChain(SevGeneration.MILAN, SigningKey.VCEK));
            assertEquals(3, server.requests().size(), "one try plus two retries");
            assertTrue(e.getMessage().contains("429"), e.getMessage());
            assertTrue(e.fix().contains("cache"), e.fix());
        }
    }

    @Test
    void aRetryAfterLongerThanAllowedFailsAtOnce() throws Exception {
        try (LoopbackHttpServer server = new LoopbackHttpServer(t -> LoopbackHttpServer.Response.status(429, Map.of("Retry-After", "3600")))) {
            CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                    () -> client(server, 5).fetchChain(SevGeneration.MILAN, SigningKey.VCEK));
            assertEquals(1, server.requests().size());
            assertTrue(e.getMessage().contains("3600s"), e.getMessage());
            assertTrue(slept.isEmpty());
        }
    }

    @Test
    void notFoundIsExplained() throws Exception {
        try (LoopbackHttpServer server = new LoopbackHttpServer(t -> LoopbackHttpServer.Response.status(404, Map.of()))) {
            CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                    () -> client(server, 0).fetchVcek(SevGeneration.GENOA, milan.chipId, milan.tcb));
            assertTrue(e.getMessage().contains("404"), e.getMessage());
            assertTrue(e.fix().contains("masked") && e.fix().contains("generation") && e.fix().contains("TCB"), e.fix());
        }
    }

    @Test
    void aMaskedChipIdIsNotSentToKds() throws Exception {
        try (LoopbackHttpServer server = kds(milan)) {
            CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                    () -> client(server, 0).fetchVcek(SevGeneration.MILAN, new byte[64], milan.tcb));
            assertTrue(e.getMessage().contains("masked"));
            assertTrue(server.requests().isEmpty());
        }
    }

    @Test
    void withoutCpuidEachGenerationIsTriedAndTheOfflineMessageSaysWhatWasMissing(@TempDir Path dir) {
        AttestationReport report = AttestationReport.parse(AttestationReportTest.minimal(2));
        CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                () -> new CertificateStore(dir, null).chainFor(report, Optional.empty(), List.of()));
        assertTrue(e.getMessage().contains("Milan") && e.getMessage().contains("Genoa") && e.getMessage().contains("Turin"), e.getMessage());
        assertTrue(e.fix().contains("--vcek"), e.fix());
    }

    @Test
    void aVersion2ReportTriesEachGenerationOnlyWhileKdsSaysNotFound(@TempDir Path dir) throws Exception {
        // A version 2 report names no CPU: KDS is asked for Milan, Genoa and Turin in turn, each a 404.
        try (LoopbackHttpServer server = new LoopbackHttpServer(t -> LoopbackHttpServer.Response.status(404, Map.of()))) {
            byte[] v2 = AttestationReportTest.minimal(2);
            System.arraycopy(milan.chipId, 0, v2, 0x1A0, 64);
            CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                    () -> new CertificateStore(dir, client(server, 0)).chainFor(AttestationReport.parse(v2), Optional.empty(), List.of()));
            assertEquals(3, server.requests().size(), server.requests().toString());
            assertTrue(server.requests().get(0).startsWith("/vcek/v1/Milan/") && server.requests().get(1).startsWith("/vcek/v1/Genoa/")
                    && server.requests().get(2).startsWith("/vcek/v1/Turin/"), server.requests().toString());
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        }
        // An unreachable KDS stops at the first attempt: other generations would not help.
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        KdsClient unreachable = new KdsClient(java.net.URI.create("http://127.0.0.1:" + port), HttpClient.newHttpClient(), 0,
                Duration.ofSeconds(1), Duration.ofSeconds(10), slept::add);
        byte[] v2 = AttestationReportTest.minimal(2);
        System.arraycopy(milan.chipId, 0, v2, 0x1A0, 64);
        CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                () -> new CertificateStore(dir, unreachable).chainFor(AttestationReport.parse(v2), Optional.empty(), List.of()));
        assertTrue(e.getMessage().startsWith("cannot reach AMD KDS") && e.getMessage().contains("/Milan/") && !e.getMessage().contains("/Genoa/"),
                e.getMessage());
    }

    @Test
    void settingsAreReadWithDefaultsAndValidated(@TempDir Path state) {
        AttestationSettings defaults = AttestationSettings.from(BackendSettings.empty("kavach.backends.sev"), state);
        assertEquals(state.resolve("attestation-certs"), defaults.certDir());
        assertTrue(defaults.kdsEnabled(), "KDS is on by default");
        assertEquals(false, defaults.offline());
        assertEquals(AttestationSettings.DEFAULT_KDS, defaults.kdsBaseUrl().toString());
        assertEquals(3, defaults.kdsMaxRetries());
        AttestationSettings explicit = AttestationSettings.from(BackendSettings.of("kavach.backends.sev", Map.of(
                "attestation.cert-dir", "/var/cache/kavach", "attestation.offline", "true",
                "attestation.kds.base-url", "http://127.0.0.1:8080/", "attestation.kds.max-retries", "1")), state);
        assertEquals(Path.of("/var/cache/kavach"), explicit.certDir());
        assertFalse(explicit.kdsEnabled());
        assertTrue(explicit.offline());
        assertEquals("http://127.0.0.1:8080", explicit.kdsBaseUrl().toString());
        assertEquals(1, explicit.kdsMaxRetries());
        var bad = assertThrows(dev.kavach.api.ConfigurationException.class, () -> AttestationSettings.from(
                BackendSettings.of("kavach.backends.sev", Map.of("attestation.kds.base-url", "ftp://x")), state));
        assertTrue(bad.getMessage().contains("kavach.backends.sev.attestation.kds.base-url"), bad.getMessage());
        var old = assertThrows(dev.kavach.api.ConfigurationException.class, () -> AttestationSettings.from(
                BackendSettings.of("kavach.backends.sev", Map.of("attestation.kds.enabled", "true")), state));
        assertTrue(old.fix().contains("on by default") && old.fix().contains("attestation.offline"), old.fix());
        var typo = assertThrows(dev.kavach.api.ConfigurationException.class, () -> AttestationSettings.from(
                BackendSettings.of("kavach.backends.sev", Map.of("attestation.max-vmlp", "1")), state));
        assertTrue(typo.getMessage().contains("attestation.max-vmlp") && typo.fix().contains("max-vmpl"), typo.getMessage() + typo.fix());
    }
}
