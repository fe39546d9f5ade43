package dev.kavach.backend.sev.attestation;

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

        TcbVersion tcb = report.reportedTcb(layout);
        Map<String, Integer> components = tcb.components();
        List<String> low = new ArrayList<>();
        for (Map.Entry<String, Integer> min : policy.minimumTcb().entrySet()) {
            Integer actual = components.get(min.getKey());
            if (actual == null) {
                low.add(min.getKey() + " does not exist in the " + layout.kdsName() + " layout");
            } else if (actual < min.getValue()) {
                low.add(min.getKey() + " " + actual + " < " + min.getValue());
            }
        }
        if (policy.minimumTcb().isEmpty()) {
            checks.add(new Check("policy.minimum-tcb", true, "no minimum TCB required; REPORTED_TCB " + components));
        } else if (low.isEmpty()) {
            checks.add(new Check("policy.minimum-tcb", true, "REPORTED_TCB " + components + " meets the minimum " + policy.minimumTcb()));
        } else {
            checks.add(new Check("policy.minimum-tcb", false, "REPORTED_TCB is below the minimum: " + String.join(", ", low)
                    + ": the host's firmware or microcode needs updating"));
        }

        checks.add(report.guestSvn() >= policy.minimumGuestSvn()
                ? new Check("policy.guest-svn", true, "GUEST_SVN " + report.guestSvn() + " >= " + policy.minimumGuestSvn())
                : new Check("policy.guest-svn", false, "GUEST_SVN " + report.guestSvn() + " is below the minimum " + policy.minimumGuestSvn()));
        checks.add(Integer.compareUnsigned(report.vmpl(), policy.maxVmpl()) <= 0
                ? new Check("policy.vmpl", true, "VMPL " + report.vmpl() + " <= " + policy.maxVmpl())
                : new Check("policy.vmpl", false, "report requested at VMPL " + Integer.toUnsignedString(report.vmpl())
                + ", less privileged than the maximum " + policy.maxVmpl() + " allowed"));

        GuestPolicy gp = report.policy();
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
