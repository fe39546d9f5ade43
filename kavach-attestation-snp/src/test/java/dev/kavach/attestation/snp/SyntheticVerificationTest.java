package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole verification logic against a chain made at test time, so it is covered without AMD's vectors. */
class SyntheticVerificationTest {
    static final Clock NOW = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);
    static final byte[] NONCE_DATA = new byte[64];

    static {
        NONCE_DATA[0] = 42;
    }

    static Set<String> failed(AttestationResult r) {
        return r.failures().stream().map(Check::name).collect(Collectors.toSet());
    }

    private static AttestationResult verify(SyntheticChain c, byte[] report, VekChain chain, Clock clock, AppraisalPolicy policy) {
        return new SnpAttestationVerifier(new ReportVerifier(clock, null, c.anchors())).verify(AttestationReport.parse(report), chain, policy);
    }

    @ParameterizedTest
    @EnumSource(SevGeneration.class)
    void aSignedReportVerifiesForEveryGeneration(SevGeneration generation) {
        SyntheticChain c = SyntheticChain.create(generation);
        AttestationResult r = verify(c, c.report(NONCE_DATA, 0x30000), c.chain(), NOW, AppraisalPolicy.builder().reportData(NONCE_DATA).build());
        assertTrue(r.passed(), () -> r.failures().toString());
        assertEquals(generation, r.generation().orElseThrow());
        assertEquals(generation, r.layout());
        assertEquals(c.tcb.components(), r.report().reportedTcb(generation).components());
    }

    @Test
    void amdAnchorsRejectTheSelfMadeArk() {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN);
        AttestationResult r = new SnpAttestationVerifier(new ReportVerifier(NOW)).verify(AttestationReport.parse(c.report(NONCE_DATA, 0x30000)),
                c.chain(), AppraisalPolicy.defaults());
        assertEquals(Set.of("ark.pinned"), failed(r));
        assertTrue(r.failures().get(0).detail().contains("none of the pinned roots"));
        assertTrue(r.generation().isEmpty());
    }

    @Test
    void everySignedByteMatters() {
        SyntheticChain c = SyntheticChain.create(SevGeneration.GENOA);
        byte[] good = c.report(NONCE_DATA, 0x30000);
        for (int offset : new int[] {0x004, 0x008, 0x050, 0x090, 0x0C0, 0x180, 0x1A0, 0x1F0}) {
            byte[] b = good.clone();
            b[offset] ^= 0x04;
            Set<String> failed = failed(verify(c, b, c.chain(), NOW, AppraisalPolicy.builder().allowDebug(true).build()));
            assertTrue(failed.contains("report.signature"), "offset " + offset + ": " + failed);
        }
    }

    @Test
    void expiryIsJudgedAtTheInjectedClock() {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN, Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-01-01T00:00:00Z"), (byte) 3);
        byte[] report = c.report(NONCE_DATA, 0x30000);
        assertEquals(Set.of("vek.validity"), failed(verify(c, report, c.chain(), NOW, AppraisalPolicy.defaults())));
        assertTrue(verify(c, report, c.chain(), Clock.fixed(Instant.parse("2024-06-01T00:00:00Z"), ZoneOffset.UTC), AppraisalPolicy.defaults()).passed());
        assertEquals(Set.of("vek.validity"), failed(verify(c, report, c.chain(),
                Clock.fixed(Instant.parse("2023-06-01T00:00:00Z"), ZoneOffset.UTC), AppraisalPolicy.defaults())));
    }

    @Test
    void aVcekForAnotherChipOrTcbIsNamed() throws Exception {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN);
        SyntheticChain otherChip = SyntheticChain.create(SevGeneration.MILAN, Instant.parse("2024-01-01T00:00:00Z"),
                Instant.parse("2034-01-01T00:00:00Z"), (byte) 0x11);
        // Sign with the other chip's key so only the hwID differs from a consistent picture.
        byte[] report = c.report(NONCE_DATA, 0x30000);
        System.arraycopy(otherChip.chipId, 0, report, 0x1A0, 64);
        report = SyntheticChain.sign(report, otherChip.vcekKey);
        AttestationResult r = verify(c, report, new VekChain(otherChip.vcek, c.ask, c.ark), NOW, AppraisalPolicy.defaults());
        assertTrue(r.passed(), r.failures().toString());
        r = verify(c, report, c.chain(), NOW, AppraisalPolicy.defaults());
        assertEquals(Set.of("report.signature", "vek.hwid"), failed(r));

        // Raise the reported TCB: the certificate no longer matches it.
        byte[] newer = report.clone();
        newer[0x186] = 9;
        newer = SyntheticChain.sign(newer, otherChip.vcekKey);
        AttestationResult t = verify(c, newer, new VekChain(otherChip.vcek, c.ask, c.ark), NOW, AppraisalPolicy.defaults());
        assertEquals(Set.of("vek.tcb"), failed(t));
        assertTrue(t.failures().get(0).detail().contains("snp report 9 != certificate 8"), t.failures().toString());
    }

    @Test
    void aNonP384KeyOrAnUnsignedReportIsRefused() throws Exception {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN);
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        var p256 = gen.generateKeyPair();
        var weak = SyntheticChain.certificate("OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, CN=SEV-Milan",
                "CN=SEV-VCEK", p256.getPublic(), SyntheticChain.rsa(false).getPrivate(), Instant.parse("2024-01-01T00:00:00Z"),
                Instant.parse("2034-01-01T00:00:00Z"), java.util.List.of());
        AttestationResult r = verify(c, c.report(NONCE_DATA, 0x30000), new VekChain(weak, c.ask, c.ark), NOW, AppraisalPolicy.defaults());
        assertTrue(failed(r).contains("report.signature"));
        assertTrue(r.failures().stream().anyMatch(f -> f.detail().contains("not an EC P-384 key")));

        byte[] unsigned = c.report(NONCE_DATA, 0x30000);
        unsigned[0x48] = (byte) (7 << 2);
        assertTrue(failed(verify(c, unsigned, c.chain(), NOW, AppraisalPolicy.defaults())).contains("report.signing-key"));
    }

    @Test
    void policyChecksNameEachViolation() {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN);
        // debug + migration agent + SMT, VMPL 2, from a host with SMT.
        byte[] b = c.report(NONCE_DATA, 0x30000L | (1L << 18) | (1L << 19));
        b[0x30] = 2;
        b = SyntheticChain.sign(b, c.vcekKey);
        AppraisalPolicy strict = AppraisalPolicy.builder().maxVmpl(0).allowSmt(false).hostData(new byte[32])
                .reportData(new byte[64]).minimumTcb("microcode", 200).minimumGuestSvn(2).build();
        AttestationResult r = verify(c, b, c.chain(), NOW, strict);
        assertEquals(Set.of("policy.debug", "policy.migration-agent", "policy.smt", "policy.vmpl", "policy.report-data",
                "policy.minimum-tcb", "policy.guest-svn"), failed(r));
        assertTrue(r.checks().stream().allMatch(ch -> !ch.detail().isBlank()), "every check says why");
        assertFalse(r.toAttestation().verified());
        Map<String, String> claims = r.toAttestation().claims();
        assertEquals("2", claims.get("vmpl"));
        assertEquals("115", claims.get("reported_tcb.microcode"));
        assertEquals(String.format("0x%x", 0x30000L | (1L << 18) | (1L << 19)), claims.get("policy"));
    }

    @Test
    void chainCacheSkipsRsaButNotTheClock() {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN, Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-01-01T00:00:00Z"), (byte) 9);
        ChainCache cache = new ChainCache(4);
        AttestationReport report = AttestationReport.parse(c.report(NONCE_DATA, 0x30000));
        ReportVerifier inside = new ReportVerifier(Clock.fixed(Instant.parse("2024-06-01T00:00:00Z"), ZoneOffset.UTC), cache, c.anchors());
        ReportVerifier after = new ReportVerifier(NOW, cache, c.anchors());
        assertTrue(inside.verify(report, c.chain()).passed());
        assertEquals(1, cache.size());
        ChainVerification late = after.verify(report, c.chain());
        assertEquals(java.util.List.of("vek.validity"), late.failures().stream().map(Check::name).toList());
    }
}
