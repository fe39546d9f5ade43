package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each appraisal rule of go-sev-guest's validate and trustee's verifier that Kavach applies: a signed
 * synthetic report that passes, then one changed (and re-signed) so that exactly that rule fails, named.
 */
class AppraisalTest {
    static final Clock NOW = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);
    static SyntheticChain chain;

    @BeforeAll
    static void chain() {
        chain = SyntheticChain.create(SevGeneration.MILAN);
    }

    /** The synthetic report (version 3, VMPL 0, policy 0x30000, PLATFORM_INFO smt, TCB bl3 tee0 snp8 ucode115, firmware 1.55.3), changed and re-signed. */
    static byte[] report(Consumer<ByteBuffer> change) {
        byte[] r = chain.report(new byte[64], 0x30000);
        change.accept(ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN));
        return SyntheticChain.sign(r, chain.vcekKey);
    }

    static AttestationResult appraise(byte[] report, AppraisalPolicy policy) {
        return new SnpAttestationVerifier(new ReportVerifier(NOW, null, chain.anchors())).verify(AttestationReport.parse(report), chain.chain(), policy);
    }

    static Set<String> failed(AttestationResult r) {
        return r.failures().stream().map(Check::name).collect(Collectors.toSet());
    }

    static String detail(AttestationResult r, String name) {
        return r.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no check " + name)).detail();
    }

    private static void onlyFails(String check, byte[] report, AppraisalPolicy policy, String detailPart) {
        AttestationResult r = appraise(report, policy);
        assertEquals(Set.of(check), failed(r), () -> r.failures().toString());
        assertTrue(detail(r, check).contains(detailPart), detail(r, check));
    }

    @Test
    void theUnchangedReportPassesEveryRuleAndEachRuleIsListed() {
        AttestationResult r = appraise(report(b -> { }), AppraisalPolicy.builder().launchedPolicy(0x30000).minimumTcb("snp", 8)
                .minimumCommittedTcb("microcode", 115).minimumLaunchTcb("boot_loader", 3).minimumFirmware(FirmwareVersion.parse("1.55.3"))
                .requirePlatformInfo("smt").forbidPlatformInfo("tsme").build());
        assertTrue(r.passed(), () -> r.failures().toString());
        for (String name : Set.of("report.version", "policy.vmpl", "policy.launched-policy", "policy.minimum-tcb", "policy.minimum-committed-tcb",
                "policy.minimum-launch-tcb", "policy.minimum-firmware", "policy.platform-info", "policy.id-key-digest", "policy.author-key-digest",
                "policy.debug", "policy.migration-agent", "policy.measurement", "policy.report-data", "policy.host-data")) {
            assertTrue(r.passed(name), name + " listed and passed");
        }
    }

    @Test
    void vmplZeroUnlessAnotherIsAllowedExplicitly() {
        byte[] vmpl2 = report(b -> b.putInt(0x030, 2));
        onlyFails("policy.vmpl", vmpl2, AppraisalPolicy.defaults(), "only VMPL 0 is accepted");
        onlyFails("policy.vmpl", vmpl2, AppraisalPolicy.builder().maxVmpl(1).build(), "VMPL 0..1");
        assertTrue(appraise(vmpl2, AppraisalPolicy.builder().maxVmpl(2).build()).passed());
    }

    @Test
    void policyMustEqualTheLaunchedOne() {
        byte[] report = report(b -> b.putLong(0x008, 0x30000L | 1L << 20));
        onlyFails("policy.launched-policy", report, AppraisalPolicy.builder().launchedPolicy(0x30000).build(), "differs from the launched policy 0x30000");
        assertTrue(appraise(report, AppraisalPolicy.builder().launchedPolicy(0x130000).build()).passed());
    }

    @Test
    void minimumReportedCommittedAndLaunchTcbAreCheckedSeparately() {
        long low = TcbVersion.of(SevGeneration.MILAN, Map.of("boot_loader", 3, "tee", 0, "snp", 7, "microcode", 115)).raw();
        AppraisalPolicy snp8 = AppraisalPolicy.builder().minimumCommittedTcb("snp", 8).minimumLaunchTcb("snp", 8).build();
        onlyFails("policy.minimum-committed-tcb", report(b -> b.putLong(0x1E0, low)), snp8, "snp 7 < 8");
        onlyFails("policy.minimum-launch-tcb", report(b -> b.putLong(0x1F0, low)), snp8, "snp 7 < 8");
        onlyFails("policy.minimum-tcb", report(b -> { }), AppraisalPolicy.builder().minimumTcb("microcode", 116).build(), "microcode 115 < 116");
        onlyFails("policy.minimum-tcb", report(b -> { }), AppraisalPolicy.builder().minimumTcb("fmc", 1).build(), "does not exist in the Milan layout");
    }

    @Test
    void minimumFirmwareAppliesToCurrentAndCommittedVersions() {
        AppraisalPolicy min = AppraisalPolicy.builder().minimumFirmware(FirmwareVersion.parse("1.55.3")).build();
        onlyFails("policy.minimum-firmware", report(b -> b.put(0x1E8, (byte) 2)), min, "current 1.55 build 2");
        onlyFails("policy.minimum-firmware", report(b -> b.put(0x1ED, (byte) 54)), min, "committed 1.54 build 3");
        assertTrue(appraise(report(b -> b.put(0x1E9, (byte) 56).put(0x1E8, (byte) 0)), AppraisalPolicy.builder()
                .minimumFirmware(FirmwareVersion.parse("1.55")).build()).passed(), "1.56 build 0 >= 1.55");
        assertThrows(IllegalArgumentException.class, () -> FirmwareVersion.parse("1.x"));
    }

    @Test
    void platformInfoRequiredForbiddenAndReservedBits() {
        onlyFails("policy.platform-info", report(b -> b.putLong(0x040, 1L | 1L << 6)), AppraisalPolicy.defaults(), "reserved bits 0x40");
        onlyFails("policy.platform-info", report(b -> b.putLong(0x040, 1L | 1L << 40)), AppraisalPolicy.defaults(), "reserved bits 0x10000000000");
        onlyFails("policy.platform-info", report(b -> { }), AppraisalPolicy.builder().requirePlatformInfo("alias-check-complete").build(),
                "required but clear: alias-check-complete");
        onlyFails("policy.platform-info", report(b -> { }), AppraisalPolicy.builder().forbidPlatformInfo("smt").build(), "forbidden but set: smt");
        assertTrue(appraise(report(b -> b.putLong(0x040, 0b1011_1111)), AppraisalPolicy.builder().requirePlatformInfo("tio")
                .requirePlatformInfo("ecc").build()).passed(), "every defined bit, including TIO (bit 7), is understood");
        assertThrows(IllegalArgumentException.class, () -> AppraisalPolicy.builder().requirePlatformInfo("smt").forbidPlatformInfo("smt").build());
        assertThrows(IllegalArgumentException.class, () -> AppraisalPolicy.builder().requirePlatformInfo("hyperthreading"));
    }

    @Test
    void idKeyAndAuthorKeyAllowLists() {
        String idKey = "ab".repeat(48);
        String authorKey = "cd".repeat(48);
        byte[] withIdBlock = report(b -> {
            b.put(0x0E0, HexFormat.of().parseHex(idKey));
            b.put(0x110, HexFormat.of().parseHex(authorKey));
            b.putInt(0x048, 1);
        });
        assertTrue(appraise(withIdBlock, AppraisalPolicy.builder().acceptIdKeyDigest(idKey).acceptAuthorKeyDigest(authorKey).build()).passed());
        onlyFails("policy.id-key-digest", withIdBlock, AppraisalPolicy.builder().acceptIdKeyDigest("ef".repeat(48)).build(), "not among the accepted");
        onlyFails("policy.author-key-digest", withIdBlock, AppraisalPolicy.builder().acceptAuthorKeyDigest("ef".repeat(48)).build(), "not among the accepted");
        onlyFails("policy.author-key-digest", report(b -> { }), AppraisalPolicy.builder().acceptAuthorKeyDigest(authorKey).build(),
                "KEY_INFO says none signed the ID block");
    }

    @Test
    void reportVersions2To5AreVerifiedAndAppraised() {
        for (int version : new int[] {2, 3, 4, 5}) {
            byte[] report = report(b -> {
                b.putInt(0x000, version);
                if (version == 2) {
                    b.put(0x188, new byte[3]); // no CPUID in version 2
                }
                if (version == 5) {
                    b.putLong(0x1F8, 0x3).putLong(0x200, 0x7);
                }
            });
            AttestationResult r = appraise(report, AppraisalPolicy.defaults());
            assertTrue(r.passed(), () -> "version " + version + ": " + r.failures());
            assertTrue(detail(r, "report.version").startsWith("version " + version), detail(r, "report.version"));
            if (version == 5) {
                assertTrue(detail(r, "report.version").contains("launch mitigations 0x3, current mitigations 0x7"), detail(r, "report.version"));
            }
        }
    }

    @Test
    void settingsMapToTheAppraisalPolicy(@org.junit.jupiter.api.io.TempDir Path state) {
        AttestationSettings defaults = AttestationSettings.from(BackendSettings.empty("kavach.backends.sev"), state);
        assertEquals(0, defaults.appraisal().maxVmpl());
        assertEquals(false, defaults.checkRevocation());
        BackendSettings explicit = new BackendSettings("kavach.backends.sev", Map.of(
                "attestation.max-vmpl", "1", "attestation.min-reported-tcb.snp", "8", "attestation.min-committed-tcb.microcode", "115",
                "attestation.min-launch-tcb.boot_loader", "3", "attestation.min-firmware", "1.55.21", "attestation.min-guest-svn", "2",
                "attestation.check-revocation", "true"),
                Map.of("attestation.platform-info.require", java.util.List.of("smt"), "attestation.platform-info.forbid", java.util.List.of("tsme"),
                        "attestation.id-key-digests", java.util.List.of("AB".repeat(48)),
                        "attestation.expected-measurements", java.util.List.of("cd".repeat(48))), Map.of());
        AttestationSettings s = AttestationSettings.from(explicit, state);
        AppraisalPolicy p = s.appraisal();
        assertEquals(1, p.maxVmpl());
        assertEquals(Map.of("snp", 8), p.minimumTcb());
        assertEquals(Map.of("microcode", 115), p.minimumCommittedTcb());
        assertEquals(Map.of("boot_loader", 3), p.minimumLaunchTcb());
        assertEquals(new FirmwareVersion(1, 55, 21), p.minimumFirmware().orElseThrow());
        assertEquals(2, p.minimumGuestSvn());
        assertEquals(1L, p.requiredPlatformInfo());
        assertEquals(2L, p.forbiddenPlatformInfo());
        assertEquals(Set.of("ab".repeat(48)), p.idKeyDigests());
        assertEquals(Set.of("cd".repeat(48)), p.expectedMeasurements());
        assertTrue(s.checkRevocation());

        for (Map.Entry<String, String> bad : Map.of("attestation.max-vmpl", "4", "attestation.min-reported-tcb.snpp", "1",
                "attestation.min-firmware", "one", "attestation.min-launch-tcb.tee", "300").entrySet()) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> AttestationSettings.from(BackendSettings.of("kavach.backends.sev", Map.ofEntries(bad)), state), bad.toString());
            assertTrue(e.getMessage().contains("kavach.backends.sev." + bad.getKey()), e.getMessage());
        }
    }
}
