package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.Attestation.Check;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of verifying and appraising one report: every check, passed or failed, with why.
 *
 * @param report     the report appraised
 * @param generation the generation of the pinned ARK, when the ARK was AMD's
 * @param layout     the generation whose TCB layout decoded the report
 * @param checks     signature, chain and policy checks, in the order they were made
 */
public record AttestationResult(AttestationReport report, Optional<SevGeneration> generation, SevGeneration layout, List<Check> checks) {
    /** The evidence format name used in {@link Attestation#format()}. */
    public static final String FORMAT = "sev-snp";

    public AttestationResult {
        requireNonNull(report, "report is null");
        requireNonNull(generation, "generation is null");
        requireNonNull(layout, "layout is null");
        checks = List.copyOf(requireNonNull(checks, "checks is null"));
    }

    /** True only when every check passed. */
    public boolean passed() {
        return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    public List<Check> failures() {
        return checks.stream().filter(c -> !c.passed()).toList();
    }

    /** Whether a check of this name was made and passed. */
    public boolean passed(String checkName) {
        return checks.stream().anyMatch(c -> c.name().equals(checkName) && c.passed());
    }

    /** The report's claims by name, hex for byte fields, as {@link Attestation#claims()} carries them. */
    public Map<String, String> claims() {
        HexFormat hex = HexFormat.of();
        Map<String, String> claims = new LinkedHashMap<>();
        claims.put("version", Integer.toString(report.version()));
        claims.put("generation", layout.kdsName());
        claims.put("measurement", hex.formatHex(report.measurement()));
        claims.put("report_data", hex.formatHex(report.reportData()));
        claims.put("host_data", hex.formatHex(report.hostData()));
        claims.put("chip_id", hex.formatHex(report.chipId()));
        claims.put("policy", report.policy().toString());
        claims.put("vmpl", Integer.toUnsignedString(report.vmpl()));
        claims.put("guest_svn", Long.toString(report.guestSvn()));
        claims.put("signing_key", report.signingKey().name());
        TcbVersion tcb = report.reportedTcb(layout);
        claims.put("reported_tcb", String.format("%016x", tcb.raw()));
        tcb.components().forEach((k, v) -> claims.put("reported_tcb." + k, Integer.toString(v)));
        claims.put("current_tcb", String.format("%016x", report.currentTcbRaw()));
        claims.put("committed_tcb", String.format("%016x", report.committedTcbRaw()));
        claims.put("launch_tcb", String.format("%016x", report.launchTcbRaw()));
        claims.put("current_version", report.currentVersion().toString());
        claims.put("committed_version", report.committedVersion().toString());
        claims.put("platform_info", report.platformInfo().toString());
        claims.put("family_id", hex.formatHex(report.familyId()));
        claims.put("image_id", hex.formatHex(report.imageId()));
        claims.put("id_key_digest", hex.formatHex(report.idKeyDigest()));
        claims.put("author_key_digest", hex.formatHex(report.authorKeyDigest()));
        claims.put("report_id", hex.formatHex(report.reportId()));
        return claims;
    }

    /** The SPI value an {@code ExecResult} carries. */
    public Attestation toAttestation() {
        return new Attestation(FORMAT, passed(), claims(), checks);
    }
}
