package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.Attestation.Check;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.KavachException;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The host's half of task binding, in one call for the SEV backend: given the report the guest agent
 * returned for an exec, the nonce the host chose and the request it sent, verify the report (signature,
 * chain, policy) and require REPORT_DATA = {@link TaskBinding#reportData(byte[], byte[])} over that
 * request, and HOST_DATA = the job digest when one was set at launch. Never throws for a bad report:
 * an unparseable report or missing certificates is an {@link Attestation} with {@code verified = false}
 * and a failed check saying why, so the caller cannot mistake it for success.
 */
public final class TaskAttestation {
    private final SnpAttestationVerifier verifier;
    private final CertificateStore certificates;
    private final AppraisalPolicy basePolicy;

    /**
     * @param verifier     signature and chain verification
     * @param certificates where the VCEK and chain come from (cache directory, optionally KDS)
     * @param basePolicy   the operator's policy (measurements, TCB minimums...); report and host data are added per exec
     */
    public TaskAttestation(SnpAttestationVerifier verifier, CertificateStore certificates, AppraisalPolicy basePolicy) {
        this.verifier = requireNonNull(verifier, "verifier is null");
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.basePolicy = requireNonNull(basePolicy, "basePolicy is null");
    }

    /**
     * @param reportBytes the raw report from the guest
     * @param nonce       the fresh nonce the host sent with this exec
     * @param request     the request the host sent
     * @param hostData    the 32-byte job digest given to QEMU's {@code host-data}, or {@code null} if none was set
     */
    public Attestation verify(byte[] reportBytes, byte[] nonce, ExecRequest request, byte[] hostData) {
        requireNonNull(reportBytes, "reportBytes is null");
        requireNonNull(request, "request is null");
        AppraisalPolicy policy = basePolicy.withReportData(TaskBinding.reportData(nonce, TaskBinding.taskDigest(request)));
        if (hostData != null) {
            policy = policy.withHostData(hostData);
        }
        AttestationReport report;
        try {
            report = AttestationReport.parse(reportBytes);
        } catch (ReportParseException e) {
            return failed("report.parse", e);
        }
        VekChain chain;
        try {
            chain = certificates.chainFor(report, Optional.empty(), List.of());
        } catch (KavachException e) {
            return failed("certificates", e);
        }
        return verifier.verify(report, chain, policy).toAttestation();
    }

    private static Attestation failed(String check, KavachException e) {
        return new Attestation(AttestationResult.FORMAT, false, Map.of(), List.of(new Check(check, false, e.oneLine())));
    }
}
