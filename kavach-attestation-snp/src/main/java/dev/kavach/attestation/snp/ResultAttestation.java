package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.Attestation.Check;
import dev.kavach.api.KavachException;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The host's verification of one {@code sev} exec, in one call: parse the report the guest returned, find
 * its certificates (the guest's certificate table first, then the cache and KDS), verify and appraise it
 * as {@link EvidenceVerifier} does for portable evidence (same checks, same names), check that the
 * statement carries this exec's nonce, and export the {@link SnpEvidence} JSON under the claim
 * {@value #EVIDENCE_CLAIM}. Never throws for a bad report: it becomes a failed check, so a caller cannot
 * mistake it for success.
 */
public final class ResultAttestation {
    /** The {@link Attestation#claims()} key holding the portable evidence JSON. */
    public static final String EVIDENCE_CLAIM = "evidence";

    private final EvidenceVerifier verifier;
    private final CertificateStore certificates;
    private final AppraisalPolicy basePolicy;
    private final Revocation.Source revocation;

    /**
     * @param basePolicy the operator's appraisal ({@link AttestationSettings#appraisal()})
     * @param revocation AMD's CRL source when revocation is checked, else null
     */
    public ResultAttestation(SnpAttestationVerifier verifier, CertificateStore certificates, AppraisalPolicy basePolicy,
                             Revocation.Source revocation) {
        this.verifier = new EvidenceVerifier(requireNonNull(verifier, "verifier is null"));
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.basePolicy = requireNonNull(basePolicy, "basePolicy is null");
        this.revocation = revocation;
    }

    /** From settings: their store (KDS unless offline), appraisal, and the CRL from the store when revocation is on. */
    public static ResultAttestation from(AttestationSettings settings) {
        CertificateStore store = settings.certificateStore();
        return new ResultAttestation(SnpAttestationVerifier.atSystemClock(), store, settings.appraisal(),
                settings.checkRevocation() ? store::crlFor : null);
    }

    /**
     * @param report           the raw report the guest returned
     * @param certificateTable the certificate table the guest received with it (configfs-tsm auxblob), if any
     * @param statement        the statement the guest vouched for (REPORT_DATA = SHA-512 of its text)
     * @param nonce            the fresh nonce the host sent for this exec
     * @param stdout           stdout as the host received it
     * @param stderr           stderr as the host received it
     * @param measurement      the launch measurement the host computed for what it launched (96 hex digits)
     * @param launchedPolicy   the guest policy the host launched with
     */
    public Attestation verify(byte[] report, Optional<byte[]> certificateTable, ResultStatement statement, byte[] nonce, byte[] stdout,
                              byte[] stderr, String measurement, long launchedPolicy) {
        requireNonNull(nonce, "nonce is null");
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        return verify(report, certificateTable, statement, Optional.empty(), Optional.of(measurement), launchedPolicy,
                Optional.of(stdout), Optional.of(stderr), List.of(nonce(statement, nonce)));
    }

    /**
     * The report half alone, for a caller that checks the statement's fields against what it sent and
     * received itself: certificates, signature and chain, appraisal (with HOST_DATA when given),
     * {@code binding.report-data}, the measurement, and the evidence claim.
     *
     * @param hostData    the 32-byte HOST_DATA the VM was launched with, if any
     * @param measurement the measurement the host computed for its launch; empty when it has only the
     *                    operator's allow-list ({@code expected-measurements}), whose match then is the pin
     */
    public Attestation verifyReport(byte[] report, Optional<byte[]> certificateTable, ResultStatement statement, Optional<byte[]> hostData,
                                    Optional<String> measurement, long launchedPolicy) {
        return verify(report, certificateTable, statement, hostData, measurement, launchedPolicy, Optional.empty(), Optional.empty(), List.of());
    }

    private Attestation verify(byte[] report, Optional<byte[]> certificateTable, ResultStatement statement, Optional<byte[]> hostData,
                               Optional<String> measurement, long launchedPolicy, Optional<byte[]> stdout, Optional<byte[]> stderr,
                               List<Check> extra) {
        requireNonNull(report, "report is null");
        requireNonNull(certificateTable, "certificateTable is null");
        requireNonNull(statement, "statement is null");
        AttestationReport parsed;
        try {
            parsed = AttestationReport.parse(report);
        } catch (ReportParseException e) {
            return failed("report.parse", e);
        }
        VekChain chain;
        try {
            chain = certificateTable.isPresent() && certificateTable.get().length > 0
                    ? certificates.chainFor(parsed, CertificateTable.parse(certificateTable.get()))
                    : certificates.chainFor(parsed, Optional.empty(), List.of());
        } catch (KavachException e) {
            return failed("certificates", e);
        }
        AppraisalPolicy policy = hostData.map(basePolicy::withHostData).orElse(basePolicy);
        // Without a computed measurement the allow-list decides (policy.measurement); the evidence records what the report says.
        String evidenceMeasurement = measurement.orElse(HexFormat.of().formatHex(parsed.measurement()));
        SnpEvidence evidence = new SnpEvidence(parsed, chain, statement, evidenceMeasurement, launchedPolicy);
        AttestationResult result = verifier.verify(evidence, new EvidenceVerifier.Options(measurement, false, stdout, stderr, policy, revocation));
        List<Check> checks = new ArrayList<>(result.checks());
        checks.addAll(extra);
        Map<String, String> claims = new LinkedHashMap<>(result.claims());
        claims.put(EVIDENCE_CLAIM, evidence.toJson());
        boolean verified = checks.stream().allMatch(Check::passed);
        return new Attestation(AttestationResult.FORMAT, verified, claims, checks);
    }

    /** {@code binding.nonce}: the statement's first field is this exec's nonce, so the report is fresh. */
    static Check nonce(ResultStatement statement, byte[] nonce) {
        String expected = HexFormat.of().formatHex(nonce);
        String actual = statement.fields().get("nonce");
        return expected.equals(actual)
                ? new Check("binding.nonce", true, "the statement carries this exec's nonce")
                : new Check("binding.nonce", false, "the statement's nonce " + actual + " is not this exec's " + expected
                + ": the report was replayed from another exec");
    }

    private static Attestation failed(String check, KavachException e) {
        return new Attestation(AttestationResult.FORMAT, false, Map.of(), List.of(new Check(check, false, e.oneLine())));
    }
}
