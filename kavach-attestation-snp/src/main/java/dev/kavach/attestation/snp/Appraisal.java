package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Applies an {@link AppraisalPolicy} to a report's claims; every rule yields one check. */
final class Appraisal {
    private static final HexFormat HEX = HexFormat.of();

    private Appraisal() {
    }

    static List<Check> checks(AttestationReport report, SevGeneration layout, AppraisalPolicy policy) {
        List<Check> checks = new ArrayList<>();
        // parse() already refused versions outside 2..5; listing the version says which layout decoded the fields.
        checks.add(new Check("report.version", true, "version " + report.version() + switch (report.version()) {
            case 2 -> " (no CPUID fields)";
            case 3, 4 -> " (CPUID family " + hex2(report.cpuidFamily().getAsInt()) + ", model " + hex2(report.cpuidModel().getAsInt()) + ")";
            default -> " (CPUID family " + hex2(report.cpuidFamily().getAsInt()) + ", model " + hex2(report.cpuidModel().getAsInt())
                    + String.format(", launch mitigations 0x%x, current mitigations 0x%x)", report.launchMitVector().getAsLong(),
                    report.currentMitVector().getAsLong());
        }));
        String measurement = HEX.formatHex(report.measurement());
        if (policy.expectedMeasurements().isEmpty()) {
            checks.add(new Check("policy.measurement", true, "any measurement accepted (none expected); report has " + measurement));
        } else if (policy.expectedMeasurements().contains(measurement)) {
            checks.add(new Check("policy.measurement", true, "measurement " + measurement + " is expected"));
        } else {
            checks.add(new Check("policy.measurement", false, "measurement " + measurement + " is not one of the "
                    + policy.expectedMeasurements().size() + " expected: " + String.join(", ", policy.expectedMeasurements())
                    + " (the firmware, kernel, initrd, cmdline, vCPU count or type differ from what was measured)"));
        }
        checks.add(exact("policy.report-data", "REPORT_DATA", report.reportData(), policy.reportData().orElse(null),
                "the report was not made for this nonce and task (replayed, or bound to another request)"));
        checks.add(exact("policy.host-data", "HOST_DATA", report.hostData(), policy.hostData().orElse(null),
                "the VM was launched for another job (host-data differs)"));

        checks.add(minimumTcb("policy.minimum-tcb", "REPORTED_TCB", report.reportedTcb(layout), policy.minimumTcb()));
        checks.add(minimumTcb("policy.minimum-committed-tcb", "COMMITTED_TCB", report.committedTcb(layout), policy.minimumCommittedTcb()));
        checks.add(minimumTcb("policy.minimum-launch-tcb", "LAUNCH_TCB", report.launchTcb(layout), policy.minimumLaunchTcb()));
        checks.add(minimumFirmware(report, policy));

        checks.add(report.guestSvn() >= policy.minimumGuestSvn()
                ? new Check("policy.guest-svn", true, "GUEST_SVN " + report.guestSvn() + " >= " + policy.minimumGuestSvn())
                : new Check("policy.guest-svn", false, "GUEST_SVN " + report.guestSvn() + " is below the minimum " + policy.minimumGuestSvn()));
        checks.add(Integer.compareUnsigned(report.vmpl(), policy.maxVmpl()) <= 0
                ? new Check("policy.vmpl", true, "VMPL " + report.vmpl() + (policy.maxVmpl() == 0 ? " (the most privileged level)" : " <= " + policy.maxVmpl()))
                : new Check("policy.vmpl", false, "report requested at VMPL " + Integer.toUnsignedString(report.vmpl())
                + ", but only VMPL " + (policy.maxVmpl() == 0 ? "0" : "0.." + policy.maxVmpl()) + " is accepted: software below the"
                + " guest kernel (e.g. an SVSM) may have requested it; allow it explicitly (attestation.max-vmpl, --max-vmpl) only if"
                + " that layer is trusted"));
        checks.add(platformInfo(report.platformInfo(), policy));

        GuestPolicy gp = report.policy();
        checks.add(policy.launchedPolicy().map(launched -> launched == gp.raw()
                ? new Check("policy.launched-policy", true, "POLICY " + gp + " equals the policy the VM was launched with")
                : new Check("policy.launched-policy", false, "POLICY " + gp + String.format(" differs from the launched policy 0x%x", launched)
                + ": the host launched the VM with another policy than Kavach asked for"))
                .orElseGet(() -> new Check("policy.launched-policy", true, "no launched policy given; report has POLICY " + gp)));
        checks.add(gp.debugAllowed() && !policy.allowDebug()
                ? new Check("policy.debug", false, "guest policy " + gp + " allows debugging (bit 19): the host can read and change guest"
                + " memory; launch without debug, or accept it explicitly (--allow-debug)")
                : new Check("policy.debug", true, gp.debugAllowed() ? "debug allowed by the guest policy, and accepted" : "debug disabled"));
        checks.add(gp.migrationAgentAllowed() && !policy.allowMigrationAgent()
                ? new Check("policy.migration-agent", false, "guest policy " + gp + " allows a migration agent (bit 18), which can export"
                + " guest memory; launch without it")
                : new Check("policy.migration-agent", true, gp.migrationAgentAllowed() ? "migration agent allowed, and accepted" : "no migration agent"));
        if (policy.allowSmt().isEmpty()) {
            checks.add(new Check("policy.smt", true, "SMT " + (gp.smtAllowed() ? "allowed" : "not allowed") + " by the guest policy; either accepted"));
        } else if (!policy.allowSmt().get() && gp.smtAllowed()) {
            checks.add(new Check("policy.smt", false, "guest policy allows SMT (bit 16) but SMT is forbidden by the appraisal policy"));
        } else {
            checks.add(new Check("policy.smt", true, "SMT " + (gp.smtAllowed() ? "allowed" : "not allowed") + " by the guest policy, as required"));
        }
        long reserved = gp.raw() >>> 26;
        checks.add(gp.reservedBit17() && reserved == 0
                ? new Check("policy.guest-policy-valid", true, "guest policy " + gp + " has bit 17 set and bits 63:26 clear")
                : new Check("policy.guest-policy-valid", false, "guest policy " + gp + " is malformed: bit 17 must be 1 and bits 63:26 zero"));

        checks.add(digest("policy.id-key-digest", "ID_KEY_DIGEST", report.idKeyDigest(), policy.idKeyDigests()));
        if (!policy.authorKeyDigests().isEmpty() && !report.authorKeyEnabled()) {
            checks.add(new Check("policy.author-key-digest", false, "an author key is required but KEY_INFO says none signed the ID block"));
        } else {
            checks.add(digest("policy.author-key-digest", "AUTHOR_KEY_DIGEST", report.authorKeyDigest(), policy.authorKeyDigests()));
        }
        return checks;
    }

    private static String hex2(int value) {
        return String.format("0x%02x", value);
    }

    private static Check minimumTcb(String name, String field, TcbVersion tcb, Map<String, Integer> minimum) {
        Map<String, Integer> components = tcb.components();
        if (minimum.isEmpty()) {
            return new Check(name, true, "no minimum required; " + field + " " + components);
        }
        List<String> low = new ArrayList<>();
        for (Map.Entry<String, Integer> min : minimum.entrySet()) {
            Integer actual = components.get(min.getKey());
            if (actual == null) {
                low.add(min.getKey() + " does not exist in the " + tcb.layout().kdsName() + " layout");
            } else if (actual < min.getValue()) {
                low.add(min.getKey() + " " + actual + " < " + min.getValue());
            }
        }
        return low.isEmpty()
                ? new Check(name, true, field + " " + components + " meets the minimum " + minimum)
                : new Check(name, false, field + " is below the minimum: " + String.join(", ", low)
                + ": the host's SEV firmware or microcode needs updating");
    }

    private static Check minimumFirmware(AttestationReport report, AppraisalPolicy policy) {
        FirmwareVersion current = report.currentVersion();
        FirmwareVersion committed = report.committedVersion();
        if (policy.minimumFirmware().isEmpty()) {
            return new Check("policy.minimum-firmware", true, "no minimum firmware required; current " + current + ", committed " + committed);
        }
        FirmwareVersion min = policy.minimumFirmware().get();
        List<String> low = new ArrayList<>();
        if (current.compareTo(min) < 0) {
            low.add("current " + current);
        }
        if (committed.compareTo(min) < 0) {
            low.add("committed " + committed + " (the firmware can be rolled back to it)");
        }
        return low.isEmpty()
                ? new Check("policy.minimum-firmware", true, "firmware current " + current + " and committed " + committed + " >= " + min)
                : new Check("policy.minimum-firmware", false, "SEV firmware below the minimum " + min + ": " + String.join(", ", low)
                + ": update and commit the host's SEV firmware");
    }

    private static Check platformInfo(PlatformInfo info, AppraisalPolicy policy) {
        List<String> problems = new ArrayList<>();
        if (info.reservedBits() != 0) {
            problems.add(String.format("reserved bits 0x%x are set (a newer platform feature this verifier does not understand)", info.reservedBits()));
        }
        List<String> missing = new ArrayList<>();
        List<String> forbidden = new ArrayList<>();
        PlatformInfo.BITS.forEach((bitName, bit) -> {
            if ((policy.requiredPlatformInfo() >>> bit & 1) == 1 && !info.bit(bit)) {
                missing.add(bitName);
            }
            if ((policy.forbiddenPlatformInfo() >>> bit & 1) == 1 && info.bit(bit)) {
                forbidden.add(bitName);
            }
        });
        if (!missing.isEmpty()) {
            problems.add("required but clear: " + String.join(", ", missing));
        }
        if (!forbidden.isEmpty()) {
            problems.add("forbidden but set: " + String.join(", ", forbidden));
        }
        String set = info.setNames().isEmpty() ? "none" : String.join(", ", info.setNames());
        return problems.isEmpty()
                ? new Check("policy.platform-info", true, "PLATFORM_INFO " + info + " (set: " + set + ") meets the requirements")
                : new Check("policy.platform-info", false, "PLATFORM_INFO " + info + " (set: " + set + "): " + String.join("; ", problems));
    }

    private static Check exact(String name, String field, byte[] actual, byte[] expected, String consequence) {
        if (expected == null) {
            return new Check(name, true, "no " + field + " required; report has " + HEX.formatHex(actual));
        }
        if (MessageDigest.isEqual(actual, expected)) {
            return new Check(name, true, field + " equals the required value");
        }
        return new Check(name, false, field + " " + HEX.formatHex(actual) + " differs from the required " + HEX.formatHex(expected)
                + ": " + consequence);
    }

    private static Check digest(String name, String field, byte[] actual, java.util.Set<String> accepted) {
        String hex = HEX.formatHex(actual);
        if (accepted.isEmpty()) {
            return new Check(name, true, "any " + field + " accepted; report has " + hex);
        }
        return accepted.contains(hex)
                ? new Check(name, true, field + " " + hex + " is accepted")
                : new Check(name, false, field + " " + hex + " is not among the accepted " + String.join(", ", accepted));
    }
}
