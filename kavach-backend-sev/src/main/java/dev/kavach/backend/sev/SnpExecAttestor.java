package dev.kavach.backend.sev;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.KavachException;
import dev.kavach.backend.sev.attestation.AppraisalPolicy;
import dev.kavach.backend.sev.attestation.AttestationReport;
import dev.kavach.backend.sev.attestation.AttestationResult;
import dev.kavach.backend.sev.attestation.CertificateStore;
import dev.kavach.backend.sev.attestation.ReportParseException;
import dev.kavach.backend.sev.attestation.ResultBinding;
import dev.kavach.backend.sev.attestation.ResultMismatchException;
import dev.kavach.backend.sev.attestation.ResultStatement;
import dev.kavach.backend.sev.attestation.SnpAttestationVerifier;
import dev.kavach.backend.sev.attestation.TaskBinding;
import dev.kavach.backend.sev.attestation.VekChain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The {@code sev} backend's attestation, built on the attestation library: HOST_DATA is the job digest
 * ({@link TaskBinding#hostData}) over the launch facts and the task digest; REPORT_DATA is SHA-512 of the
 * guest's {@link ResultStatement}, which the host checks part by part against what it sent and received
 * ({@link ResultBinding}); the report is verified (signature, VEK chain, pinned ARK) and appraised (both
 * bindings, expected measurements, no debug or migration agent) before the result counts.
 */
final class SnpExecAttestor implements ExecAttestor {
    private final String jobId;
    private final Map<String, String> launchFacts;
    private final CertificateStore certificates;
    private final SnpAttestationVerifier verifier;
    private final List<String> expectedMeasurements;

    SnpExecAttestor(String jobId, Map<String, String> launchFacts, CertificateStore certificates, SnpAttestationVerifier verifier,
                    List<String> expectedMeasurements) {
        this.jobId = requireNonNull(jobId, "jobId is null");
        this.launchFacts = Map.copyOf(requireNonNull(launchFacts, "launchFacts is null"));
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.verifier = requireNonNull(verifier, "verifier is null");
        this.expectedMeasurements = List.copyOf(requireNonNull(expectedMeasurements, "expectedMeasurements is null"));
    }

    @Override
    public byte[] hostData(ExecRequest request) {
        Map<String, String> facts = new TreeMap<>(launchFacts);
        facts.put("task", HexFormat.of().formatHex(TaskBinding.taskDigest(request)));
        return TaskBinding.hostData(jobId, facts);
    }

    @Override
    public Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result) {
        ResultStatement statement;
        try {
            statement = ResultStatement.parse(new String(result.statement(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return failed("statement", "the guest's result statement is malformed: " + e.getMessage());
        }
        List<Attestation.Check> binding = new ArrayList<>();
        try {
            ResultBinding.check(statement, nonce, request, result.stdout(), result.stderr(), result.stdoutDropped(), result.stderrDropped(),
                    result.exit());
            binding.add(new Attestation.Check("result.binding", true, "argv, env, workdir, stdin, stdout, stderr, dropped counts, exit status "
                    + "and nonce match the guest's statement"));
        } catch (ResultMismatchException e) {
            e.differences().forEach(d -> binding.add(new Attestation.Check("result.binding", false, d)));
        }
        AttestationReport parsed;
        try {
            parsed = AttestationReport.parse(result.report());
        } catch (ReportParseException e) {
            return withChecks(failed("parse", e.getMessage()), binding);
        }
        VekChain chain;
        try {
            chain = certificates.chainFor(parsed, Optional.empty(), List.of());
        } catch (KavachException e) {
            return withChecks(failed("certificates", e.getMessage() + (e.fix().isEmpty() ? "" : " (fix: " + e.fix() + ")")), binding);
        }
        // REPORT_DATA must be SHA-512 of the very statement checked above: the report vouches for that text only.
        AppraisalPolicy.Builder policy = AppraisalPolicy.builder().reportData(statement.reportData()).hostData(expectedHostData);
        expectedMeasurements.forEach(policy::expectMeasurement);
        AttestationResult appraised = verifier.verify(parsed, chain, policy.build());
        return withChecks(appraised.toAttestation(), binding);
    }

    private static Attestation withChecks(Attestation attestation, List<Attestation.Check> extra) {
        List<Attestation.Check> checks = new ArrayList<>(attestation.checks());
        checks.addAll(extra);
        boolean verified = attestation.verified() && extra.stream().allMatch(Attestation.Check::passed);
        return new Attestation(attestation.format(), verified, attestation.claims(), checks);
    }

    private static Attestation failed(String check, String detail) {
        return new Attestation("sev-snp", false, Map.of(), List.of(new Attestation.Check(check, false, detail)));
    }
}
