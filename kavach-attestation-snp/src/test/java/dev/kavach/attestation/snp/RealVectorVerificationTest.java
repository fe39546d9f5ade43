package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.Attestation.Check;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real AMD vectors: every positive one verifies, and each way of breaking it fails for the right reason. */
class RealVectorVerificationTest {
    /** Inside every positive vector's validity, including the VLEK that expired 2025-12-10. */
    static final Clock INSIDE = Clock.fixed(Instant.parse("2025-06-01T00:00:00Z"), ZoneOffset.UTC);
    static final List<SharedVectors.Vector> POSITIVE = SharedVectors.POSITIVE;

    private final SnpAttestationVerifier verifier = new SnpAttestationVerifier(new ReportVerifier(INSIDE));
    /** Debug allowed (the go-sev-guest vector) and VMPL 1 (the trustee VLEK vector) accepted explicitly. */
    private static final AppraisalPolicy LENIENT = AppraisalPolicy.builder().allowDebug(true).maxVmpl(1).build();

    @BeforeEach
    void vectors() {
        SharedVectors.require();
    }

    static Set<String> failed(AttestationResult result) {
        return result.failures().stream().map(Check::name).collect(Collectors.toSet());
    }

    static String detail(AttestationResult result, String name) {
        return result.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().detail();
    }

    @ParameterizedTest
    @FieldSource("POSITIVE")
    void verifies(SharedVectors.Vector v) {
        AttestationResult result = verifier.verify(v.parse(), v.chain(), LENIENT);
        assertTrue(result.passed(), () -> v + " failed: " + result.failures());
        assertEquals(SevGeneration.MILAN, result.generation().orElseThrow());
        Attestation attestation = result.toAttestation();
        assertTrue(attestation.verified());
        assertEquals("sev-snp", attestation.format());
        assertEquals(HexFormat.of().formatHex(v.parse().measurement()), attestation.claims().get("measurement"));
        assertEquals(result.checks().size(), attestation.checks().size());
    }

    @ParameterizedTest
    @FieldSource("POSITIVE")
    void flippingAnySignedByteBreaksTheSignature(SharedVectors.Vector v) {
        byte[] original = v.parse().bytes();
        // A byte inside measurement, one inside report data and the last signed byte (a reserved zero would not parse).
        for (int offset : new int[] {0x090, 0x050, 0x0A0}) {
            byte[] b = original.clone();
            b[offset] ^= 0x01;
            AttestationResult result = verifier.verify(AttestationReport.parse(b), v.chain(), LENIENT);
            assertEquals(Set.of("report.signature"), failed(result), v + " offset " + offset);
        }
    }

    @ParameterizedTest
    @FieldSource("POSITIVE")
    void anotherVectorsVcekDoesNotVerifyIt(SharedVectors.Vector v) {
        SharedVectors.Vector other = v == SharedVectors.VIRTEE_MILAN ? SharedVectors.GO_SEV_GUEST_DEBUG : SharedVectors.VIRTEE_MILAN;
        VekChain swapped = new VekChain(SharedVectors.cert(other.vek()), SharedVectors.cert("amd-roots_virtee-sev-builtin/ask_milan.pem"),
                SharedVectors.cert("amd-roots_virtee-sev-builtin/ark_milan.pem"));
        AttestationResult result = verifier.verify(v.parse(), swapped, LENIENT);
        assertFalse(result.passed());
        assertTrue(failed(result).contains("report.signature"), () -> v + ": " + result.failures());
        if (v == SharedVectors.TRUSTEE_VLEK) {
            assertTrue(failed(result).contains("report.signing-key"), "a VCEK given for a VLEK-signed report is named");
        } else {
            // Every VCEK vector comes from another chip, so the hwID comparison names the mismatch too.
            assertTrue(failed(result).contains("vek.hwid") || failed(result).contains("vek.tcb"), () -> v + ": " + result.failures());
        }
    }

    @ParameterizedTest
    @FieldSource("POSITIVE")
    void theWrongGenerationsArkFailsTheChain(SharedVectors.Vector v) {
        for (String ark : new String[] {"ark_genoa.pem", "ark_turin.pem"}) {
            X509Certificate wrong = SharedVectors.cert("amd-roots_virtee-sev-builtin/" + ark);
            VekChain chain = new VekChain(SharedVectors.cert(v.vek()), SharedVectors.cert(v.ask()), wrong);
            AttestationResult result = verifier.verify(v.parse(), chain, LENIENT);
            Set<String> failed = failed(result);
            assertTrue(failed.contains("ask.signed-by-ark"), () -> v + " " + ark + ": " + result.failures());
            assertTrue(failed.contains("generation"), () -> v + " " + ark + ": " + result.failures());
            assertTrue(detail(result, "ask.signed-by-ark").contains("different chains or generations"));
            assertTrue(result.passed("ark.pinned"), "the Genoa/Turin ARK is itself genuine");
            assertTrue(result.passed("report.signature"), "the report signature itself is fine");
        }
    }

    @Test
    void invalidVceksFailTheChain() throws Exception {
        try (var files = Files.list(SharedVectors.path("negative_trustee-invalid-vcek"))) {
            List<Path> invalid = files.filter(p -> p.toString().endsWith(".der")).sorted().toList();
            assertEquals(2, invalid.size());
            for (Path p : invalid) {
                X509Certificate vcek = CertificateFiles.readOne(p);
                VekChain chain = new VekChain(vcek, SharedVectors.cert("trustee_milan-vcek-v2-idblock/ask_milan.pem"),
                        SharedVectors.cert("trustee_milan-vcek-v2-idblock/ark_milan.pem"));
                ChainVerification result = new ReportVerifier(INSIDE).verifyChain(chain);
                assertTrue(result.failures().stream().anyMatch(c -> c.name().equals("vek.signed-by-ask")), () -> p + ": " + result.checks());
                AttestationResult full = verifier.verify(SharedVectors.TRUSTEE_IDBLOCK.parse(), chain, LENIENT);
                assertTrue(failed(full).contains("vek.signed-by-ask"));
            }
        }
    }

    @Test
    void debugPolicyFailsTheDefaultAppraisalAndPassesWhenDebugIsAllowed() {
        SharedVectors.Vector v = SharedVectors.GO_SEV_GUEST_DEBUG;
        AttestationReport report = v.parse();
        assertEquals(0xb0000, report.policy().raw());
        AttestationResult strict = verifier.verify(report, v.chain(), AppraisalPolicy.defaults());
        assertEquals(Set.of("policy.debug"), failed(strict));
        assertTrue(detail(strict, "policy.debug").contains("bit 19"));
        AttestationResult allowed = verifier.verify(report, v.chain(), AppraisalPolicy.builder().allowDebug(true).build());
        assertTrue(allowed.passed(), () -> allowed.failures().toString());
        assertFalse(strict.toAttestation().verified());
    }

    @Test
    void reportDataBindsTheNonce() {
        SharedVectors.Vector v = SharedVectors.GO_SEV_GUEST_DEBUG;
        byte[] expected = new byte[64];
        System.arraycopy(new byte[] {1, 2, 3, 4, 5}, 0, expected, 0, 5);
        assertTrue(verifier.verify(v.parse(), v.chain(), AppraisalPolicy.builder().allowDebug(true).reportData(expected).build()).passed());
        expected[4] = 6;
        AttestationResult wrong = verifier.verify(v.parse(), v.chain(), AppraisalPolicy.builder().allowDebug(true).reportData(expected).build());
        assertEquals(Set.of("policy.report-data"), failed(wrong));
    }

    @Test
    void expiredVlekFailsTodayAndPassesInsideItsValidity() {
        SharedVectors.Vector v = SharedVectors.TRUSTEE_VLEK;
        AttestationResult today = new SnpAttestationVerifier(new ReportVerifier(Clock.systemUTC())).verify(v.parse(), v.chain(), LENIENT);
        assertEquals(Set.of("vek.validity"), failed(today));
        assertTrue(detail(today, "vek.validity").contains("expired at 2025-12-10T22:14:21Z"), detail(today, "vek.validity"));
        AttestationResult inside = verifier.verify(v.parse(), v.chain(), LENIENT);
        assertTrue(inside.passed());
        assertTrue(detail(inside, "vek.hwid").startsWith("skipped"), "the hwID skip is stated, not silent");
    }

    @Test
    void idBlockVectorPassesIdKeyAppraisalAndRejectsAnotherDigest() {
        SharedVectors.Vector v = SharedVectors.TRUSTEE_IDBLOCK;
        AttestationReport r = v.parse();
        String digest = HexFormat.of().formatHex(r.idKeyDigest());
        String measurement = HexFormat.of().formatHex(r.measurement());
        AppraisalPolicy good = AppraisalPolicy.builder().acceptIdKeyDigest(digest).expectMeasurement(measurement).minimumTcb("snp", 8)
                .minimumGuestSvn(4).maxVmpl(0).build();
        assertTrue(verifier.verify(r, v.chain(), good).passed());
        AppraisalPolicy bad = AppraisalPolicy.builder().acceptIdKeyDigest("00".repeat(47) + "01").expectMeasurement("11".repeat(48))
                .minimumTcb("snp", 9).minimumGuestSvn(5).allowSmt(false).build();
        assertEquals(Set.of("policy.id-key-digest", "policy.measurement", "policy.minimum-tcb", "policy.guest-svn", "policy.smt"),
                failed(verifier.verify(r, v.chain(), bad)));
    }

    @Test
    void turinChainVerifiesWithTheTurinTcbLayout() {
        String dir = "virtee-sev_turin-vcek-chain-only/";
        VekChain chain = new VekChain(SharedVectors.cert(dir + "vcek_turin.der"), SharedVectors.cert(dir + "ask_turin.pem"),
                SharedVectors.cert(dir + "ark_turin.pem"));
        ChainVerification result = new ReportVerifier(Clock.systemUTC()).verifyChain(chain);
        assertTrue(result.passed(), () -> result.failures().toString());
        assertEquals(SevGeneration.TURIN, result.generation().orElseThrow());
        VekCertificate vcek = new VekCertificate(chain.vek());
        TcbVersion tcb = vcek.tcb(SevGeneration.TURIN);
        assertEquals(9, tcb.microcode());
        assertEquals(java.util.List.of("fmc", "boot_loader", "tee", "snp", "microcode"), List.copyOf(tcb.components().keySet()));
        assertEquals(8, vcek.hwid().orElseThrow().length, "Turin hwIDs are 8 bytes");

        // A report for this chip and TCB (its signature cannot be made without AMD's key): every check
        // except the signature passes, so the Turin layout and the 8-byte hwID are compared correctly.
        byte[] b = AttestationReportTest.minimal(3);
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0x180, tcb.raw());
        b[0x188] = 0x1A;
        System.arraycopy(vcek.hwid().orElseThrow(), 0, b, 0x1A0, 8);
        AttestationResult full = new SnpAttestationVerifier(new ReportVerifier(Clock.systemUTC())).verify(AttestationReport.parse(b), chain,
                AppraisalPolicy.defaults());
        assertEquals(Set.of("report.signature"), failed(full));
        assertTrue(detail(full, "vek.tcb").contains("Turin layout"));
    }
}
