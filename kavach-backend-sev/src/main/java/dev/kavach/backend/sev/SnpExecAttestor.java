package dev.kavach.backend.sev;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.KavachException;
import dev.kavach.backend.sev.attestation.AppraisalPolicy;
import dev.kavach.backend.sev.attestation.AttestationReport;
import dev.kavach.backend.sev.attestation.AttestationResult;
import dev.kavach.backend.sev.attestation.CertificateStore;
import dev.kavach.backend.sev.attestation.ReportParseException;
import dev.kavach.backend.sev.attestation.SnpAttestationVerifier;
import dev.kavach.backend.sev.attestation.TaskBinding;
import dev.kavach.backend.sev.attestation.VekChain;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The {@code sev} backend's attestation, built on the attestation library: HOST_DATA is the job digest
 * ({@link TaskBinding#hostData}) over the launch facts and the task digest; REPORT_DATA is
 * SHA-512(nonce || task digest); a returned report is verified (signature, VEK chain, pinned ARK) and
 * appraised (both bindings, expected measurements, no debug or migration agent) before the result counts.
 */
final class SnpExecAttestor implements ExecAttestor {
    private final String jobId;
    private final Map<String, String> launchFacts;
    private final CertificateStore certificates;
    private final SnpAttestationVerifier verifier;
    private final AppraisalPolicy basePolicy;

    /** @param basePolicy the operator's appraisal (settings) with the launched policy; the bindings are added per exec */
    SnpExecAttestor(String jobId, Map<String, String> launchFacts, CertificateStore certificates, SnpAttestationVerifier verifier,
                    AppraisalPolicy basePolicy) {
        this.jobId = requireNonNull(jobId, "jobId is null");
        this.launchFacts = Map.copyOf(requireNonNull(launchFacts, "launchFacts is null"));
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.verifier = requireNonNull(verifier, "verifier is null");
        this.basePolicy = requireNonNull(basePolicy, "basePolicy is null");
    }

    @Override
    public byte[] hostData(ExecRequest request) {
        Map<String, String> facts = new TreeMap<>(launchFacts);
        facts.put("task", HexFormat.of().formatHex(TaskBinding.taskDigest(request)));
        return TaskBinding.hostData(jobId, facts);
    }

    @Override
    public byte[] reportData(ExecRequest request, byte[] nonce) {
        return TaskBinding.reportData(nonce, TaskBinding.taskDigest(request));
    }

    @Override
    public Attestation verify(byte[] report, byte[] expectedReportData, byte[] expectedHostData) {
        AttestationReport parsed;
        try {
            parsed = AttestationReport.parse(report);
        } catch (ReportParseException e) {
            return failed("parse", e.getMessage());
        }
        VekChain chain;
        try {
            chain = certificates.chainFor(parsed, Optional.empty(), List.of());
        } catch (KavachException e) {
            return failed("certificates", e.getMessage() + (e.fix().isEmpty() ? "" : " (fix: " + e.fix() + ")"));
        }
        AttestationResult result = verifier.verify(parsed, chain, basePolicy.toBuilder().reportData(expectedReportData).hostData(expectedHostData).build());
        return result.toAttestation();
    }

    private static Attestation failed(String check, String detail) {
        return new Attestation("sev-snp", false, Map.of(), List.of(new Attestation.Check(check, false, detail)));
    }
}
