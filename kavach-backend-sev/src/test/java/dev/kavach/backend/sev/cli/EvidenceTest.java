package dev.kavach.backend.sev.cli;

import dev.kavach.attestation.snp.*;
import dev.kavach.attestation.snp.*;
import dev.kavach.api.Attestation;
import dev.kavach.api.Attestation.Check;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.backend.sev.cli.AttestCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Portable evidence: produced by the host's result verification, re-verified elsewhere, and every tampering named. */
class EvidenceTest {
    static final String AT = "2026-06-01T00:00:00Z";
    static final Clock NOW = Clock.fixed(Instant.parse(AT), ZoneOffset.UTC);
    static final byte[] NONCE = HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    static final byte[] STDOUT = "hello\n".getBytes(StandardCharsets.UTF_8);
    static final byte[] STDERR = "warning: x\n".getBytes(StandardCharsets.UTF_8);
    static SyntheticChain chain;

    @TempDir
    Path dir;

    @BeforeAll
    static void chain() {
        chain = SyntheticChain.create(SevGeneration.MILAN);
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** A statement of the shape sev-guest's agent writes: nonce first, then digests. */
    static ResultStatement statement(byte[] nonce) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("nonce", HexFormat.of().formatHex(nonce));
        f.put("argv", sha256("echo hello".getBytes()));
        f.put("exit", "0");
        f.put("stdout", sha256(STDOUT));
        f.put("stderr", sha256(STDERR));
        f.put("truncated", "none");
        return ResultStatement.of(f);
    }

    /** What the synthetic guest reports: REPORT_DATA = SHA-512(statement). */
    static byte[] report(ResultStatement statement, long policy) {
        return chain.report(statement.reportData(), policy);
    }

    static String measurement() {
        byte[] m = new byte[48];
        for (int i = 0; i < 48; i++) {
            m[i] = (byte) (0xA0 + i); // what SyntheticChain.report() puts in MEASUREMENT
        }
        return HexFormat.of().formatHex(m);
    }

    private ResultAttestation host(CertificateStore store) {
        return new ResultAttestation(new SnpAttestationVerifier(new ReportVerifier(NOW, null, chain.anchors())), store, AppraisalPolicy.defaults(), null);
    }

    /** The evidence the host exports for a good run. */
    private String goodEvidence() throws Exception {
        InMemoryKds kds = InMemoryKds.serving(chain, null);
        ResultStatement st = statement(NONCE);
        Attestation a = host(new CertificateStore(dir.resolve("host-cache"), kds.client()))
                .verify(report(st, 0x30000), Optional.empty(), st, NONCE, STDOUT, STDERR, measurement(), 0x30000);
        assertTrue(a.verified(), () -> a.checks().stream().filter(c -> !c.passed()).toList().toString());
        return a.claims().get(ResultAttestation.EVIDENCE_CLAIM);
    }

    private static Set<String> failed(AttestationResult r) {
        return r.failures().stream().map(Check::name).collect(Collectors.toSet());
    }

    private AttestationResult reverify(String json, Optional<String> measurement, byte[] stdout, byte[] stderr) {
        return new EvidenceVerifier(new SnpAttestationVerifier(new ReportVerifier(NOW, null, chain.anchors()))).verify(SnpEvidence.parse(json),
                new EvidenceVerifier.Options(measurement, false, Optional.ofNullable(stdout), Optional.ofNullable(stderr), AppraisalPolicy.defaults(), null));
    }

    @Test
    void theHostExportsEvidenceInTheDocumentedFormat() throws Exception {
        String json = goodEvidence();
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.read(json);
        assertEquals(List.of("format", "version", "report", "certificates", "statement", "measurement", "launch_policy"), new ArrayList<>(m.keySet()));
        assertEquals("kavach-sev-snp-evidence", m.get("format"));
        assertEquals(1L, m.get("version"));
        byte[] report = Base64.getDecoder().decode((String) m.get("report"));
        assertEquals(AttestationReport.LENGTH, report.length);
        assertEquals(measurement(), m.get("measurement"));
        assertEquals("0x30000", m.get("launch_policy"));
        assertEquals(statement(NONCE).text(), m.get("statement"));
        @SuppressWarnings("unchecked")
        Map<String, Object> certs = (Map<String, Object>) m.get("certificates");
        assertEquals(List.of("vek", "ask", "ark"), new ArrayList<>(certs.keySet()));
        assertEquals(HexFormat.of().formatHex(chain.vcek.getEncoded()), HexFormat.of().formatHex(Base64.getDecoder().decode((String) certs.get("vek"))));
        // A remote verifier recomputes the binding from the text alone: REPORT_DATA = SHA-512(statement).
        byte[] reportData = java.util.Arrays.copyOfRange(report, 0x50, 0x90);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(((String) m.get("statement")).getBytes(StandardCharsets.UTF_8))),
                HexFormat.of().formatHex(reportData));
    }

    @Test
    void evidenceReverifiesOfflineAndEachTamperingNamesItsCheck() throws Exception {
        String json = goodEvidence();
        AttestationResult ok = reverify(json, Optional.of(measurement()), STDOUT, STDERR);
        assertTrue(ok.passed(), () -> ok.failures().toString());
        for (String name : List.of("ark.pinned", "report.signature", "policy.launched-policy", "measurement.reference", "binding.report-data",
                "evidence.measurement", "binding.stdout", "binding.stderr", "policy.vmpl")) {
            assertTrue(ok.passed(name), name);
        }

        assertEquals(Set.of("binding.stdout"), failed(reverify(json, Optional.of(measurement()), "hellO\n".getBytes(), STDERR)));
        assertEquals(Set.of("binding.stderr"), failed(reverify(json, Optional.of(measurement()), STDOUT, new byte[0])));
        assertEquals(Set.of("measurement.reference"), failed(reverify(json, Optional.of("11".repeat(48)), null, null)));
        assertEquals(Set.of("measurement.reference"), failed(reverify(json, Optional.empty(), null, null)));

        String otherStatement = json.replace("exit 0", "exit 1");
        assertEquals(Set.of("binding.report-data"), failed(reverify(otherStatement, Optional.of(measurement()), null, null)));
        String otherPolicy = json.replace("\"0x30000\"", "\"0x31000\"");
        assertEquals(Set.of("policy.launched-policy"), failed(reverify(otherPolicy, Optional.of(measurement()), null, null)));
        String otherMeasurement = json.replace("\"measurement\": \"" + measurement() + "\"", "\"measurement\": \"" + "22".repeat(48) + "\"");
        assertEquals(Set.of("evidence.measurement"), failed(reverify(otherMeasurement, Optional.of(measurement()), null, null)));

        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.read(json);
        byte[] report = Base64.getDecoder().decode((String) m.get("report"));
        report[0x0C0] ^= 1;
        String alteredReport = json.replace((String) m.get("report"), Base64.getEncoder().encodeToString(report));
        assertEquals(Set.of("report.signature"), failed(reverify(alteredReport, Optional.of(measurement()), null, null)));
    }

    @Test
    void theHostCatchesAReplayedStatementAndDifferentOutputs() throws Exception {
        InMemoryKds kds = InMemoryKds.serving(chain, null);
        ResultAttestation host = host(new CertificateStore(dir, kds.client()));
        ResultStatement st = statement(NONCE);
        byte[] otherNonce = NONCE.clone();
        otherNonce[0] ^= 1;
        Attestation replayed = host.verify(report(st, 0x30000), Optional.empty(), st, otherNonce, STDOUT, STDERR, measurement(), 0x30000);
        assertEquals(List.of("binding.nonce"), replayed.checks().stream().filter(c -> !c.passed()).map(Check::name).toList());
        Attestation tampered = host.verify(report(st, 0x30000), Optional.empty(), st, NONCE, "x".getBytes(), STDERR, measurement(), 0x30000);
        assertEquals(List.of("binding.stdout"), tampered.checks().stream().filter(c -> !c.passed()).map(Check::name).toList());
        Attestation wrongPolicy = host.verify(report(st, 0x30000), Optional.empty(), st, NONCE, STDOUT, STDERR, measurement(), 0x10000);
        assertEquals(List.of("policy.launched-policy"), wrongPolicy.checks().stream().filter(c -> !c.passed()).map(Check::name).toList());
        assertTrue(wrongPolicy.claims().containsKey("evidence"), "evidence is exported even when a check fails, so it can be examined");
        // The report half alone (the caller checks the statement's fields itself), pinned by the operator's allow-list.
        ResultAttestation allowList = new ResultAttestation(new SnpAttestationVerifier(new ReportVerifier(NOW, null, chain.anchors())),
                new CertificateStore(dir, kds.client()), AppraisalPolicy.builder().expectMeasurement(measurement()).build(), null);
        Attestation reportOnly = allowList.verifyReport(report(st, 0x30000), Optional.empty(), st, Optional.empty(), Optional.empty(), 0x30000);
        assertTrue(reportOnly.verified(), reportOnly.checks().toString());
        assertTrue(SnpEvidence.parse(reportOnly.claims().get("evidence")).measurement().equals(measurement()));
        Attestation notAllowed = new ResultAttestation(new SnpAttestationVerifier(new ReportVerifier(NOW, null, chain.anchors())),
                new CertificateStore(dir, kds.client()), AppraisalPolicy.builder().expectMeasurement("44".repeat(48)).build(), null)
                .verifyReport(report(st, 0x30000), Optional.empty(), st, Optional.of(new byte[32]), Optional.empty(), 0x30000);
        assertEquals(List.of("policy.measurement"), notAllowed.checks().stream().filter(c -> !c.passed()).map(Check::name).toList());
        Attestation unpinned = host.verifyReport(report(st, 0x30000), Optional.empty(), st, Optional.empty(), Optional.empty(), 0x30000);
        assertEquals(List.of("measurement.reference"), unpinned.checks().stream().filter(c -> !c.passed()).map(Check::name).toList());

        Attestation garbage = host.verify(new byte[10], Optional.empty(), st, NONCE, STDOUT, STDERR, measurement(), 0x30000);
        assertEquals("report.parse", garbage.checks().get(0).name());
        assertTrue(!garbage.verified());
    }

    @Test
    void malformedEvidenceIsRefusedNamingTheKey() throws Exception {
        String json = goodEvidence();
        Object[][] cases = {
                {json.replace("\"version\": 1", "\"version\": 2"), "\"version\" is 2"},
                {json.replace("kavach-sev-snp-evidence", "other"), "\"format\""},
                {json.replace("\"launch_policy\"", "\"launch_polic\""), "unknown key \"launch_polic\""},
                {json.replace("\"0x30000\"", "\"196608\""), "launch_policy"},
                {json.replace("\"measurement\": \"", "\"measurement\": \"zz"), "measurement"},
                {json.replace("\"report\": \"", "\"report\": \"!"), "\"report\" is not standard base64"},
                {json.replace("\"ark\"", "\"root\""), "unknown key \"root\""},
                {json.replace("kavach-snp-result v1", "kavach-snp-result v9"), "\"statement\""},
                {json + "{}", "unexpected content"},
        };
        for (Object[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SnpEvidence.parse((String) c[0]), (String) c[1]);
            assertTrue(e.getMessage().contains((String) c[1]), c[1] + " in " + e.getMessage());
        }
    }

    record Run(int exit, String out, String err) {
    }

    private Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BackendContext context = new BackendContext("sev", BackendSettings.of("kavach.backends.sev",
                Map.of("attestation.cert-dir", dir.resolve("verifier-certs").toString())), dir.resolve("state"), "0.1.0");
        // The KDS factory fails the test if the evidence path ever asks for the network.
        int exit = new AttestCommand(chain.anchors(), s -> {
            throw new AssertionError("evidence verification must not contact KDS");
        }).run(List.of(args), context, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void attestVerifyEvidenceOnAnotherMachine() throws Exception {
        Path evidence = Files.writeString(dir.resolve("evidence.json"), goodEvidence());
        Path out = Files.write(dir.resolve("stdout"), STDOUT);
        Path err = Files.write(dir.resolve("stderr"), STDERR);
        Run ok = cli("verify", "--evidence", evidence.toString(), "--measurement", measurement(), "--stdout", out.toString(),
                "--stderr", err.toString(), "--at", AT);
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().contains("PASS binding.report-data") && ok.out().contains("PASS binding.stdout") && ok.out().contains("VERIFIED"), ok.out());

        Path wrongOut = Files.write(dir.resolve("stdout2"), "bye\n".getBytes());
        Run bad = cli("verify", "--evidence", evidence.toString(), "--measurement", "ab".repeat(48), "--stdout", wrongOut.toString(), "--at", AT, "--json");
        assertEquals(1, bad.exit(), bad.out() + bad.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.read(bad.out());
        assertEquals(List.of("measurement.reference", "binding.stdout"), m.get("failed"));
        // The reference and an allow-list must both hold.
        Run both = cli("verify", "--evidence", evidence.toString(), "--measurement", measurement(), "--expect-measurement", "cd".repeat(48), "--at", AT);
        assertEquals(1, both.exit());
        assertTrue(both.out().contains("FAIL policy.measurement") && both.out().contains("PASS measurement.reference"), both.out());

        Run policy = cli("verify", "--evidence", evidence.toString(), "--measurement", measurement(), "--launched-policy", "0x10000", "--at", AT);
        assertEquals(1, policy.exit());
        assertTrue(policy.out().contains("FAIL evidence.launch-policy") && policy.out().contains("NOT VERIFIED: 1 of"), policy.out());

        Run none = cli("verify", "--evidence", evidence.toString(), "--at", AT);
        assertEquals(1, none.exit());
        assertTrue(none.out().contains("FAIL measurement.reference") && none.out().contains("kavach sev measure"), none.out());
        assertEquals(0, cli("verify", "--evidence", evidence.toString(), "--any-measurement", "--at", AT).exit());

        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"format\": \"kavach-sev-snp-evidence\"");
        Run unusable = cli("verify", "--evidence", broken.toString());
        assertEquals(2, unusable.exit());
        assertTrue(unusable.err().contains("evidence file " + broken) && unusable.err().contains("invalid JSON"), unusable.err());
        assertEquals(2, cli("verify", "--evidence", evidence.toString(), "--report", evidence.toString()).exit());
        assertTrue(cli("verify", "--evidence", evidence.toString(), "--measurement", "abc").err().contains("96 hex digits"));
    }
}
