package dev.kavach.backend.sev.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import dev.kavach.attestation.snp.AppraisalPolicy;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.ResultBinding;
import dev.kavach.attestation.snp.ResultMismatchException;
import dev.kavach.attestation.snp.ResultStatement;
import dev.kavach.attestation.snp.SnpAttestationVerifier;
import dev.kavach.attestation.snp.TaskBinding;
import dev.kavach.attestation.snp.ResultAttestation;
import dev.kavach.backend.sev.measure.SnpMeasurement;

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
public final class SnpExecAttestor implements ExecAttestor {
    private final String jobId;
    private final Map<String, String> launchFacts;
    private final ResultAttestation results;
    private final long launchedPolicy;

    /**
     * @param results        verifies the report half (certificates, signature, appraisal, REPORT_DATA) and exports the evidence
     * @param launchedPolicy the guest policy the VM is launched with: the report's POLICY must equal it
     */
    public SnpExecAttestor(String jobId, Map<String, String> launchFacts, ResultAttestation results, long launchedPolicy) {
        this.jobId = requireNonNull(jobId, "jobId is null");
        this.launchFacts = Map.copyOf(requireNonNull(launchFacts, "launchFacts is null"));
        this.results = requireNonNull(results, "results is null");
        this.launchedPolicy = launchedPolicy;
    }

    /**
     * @param basePolicy the operator's appraisal (settings) with the launched policy; the bindings are added per
     *                   exec. Without a launched policy in it, the launch facts' {@code policy} is the launched one.
     */
    public SnpExecAttestor(String jobId, Map<String, String> launchFacts, CertificateStore certificates, SnpAttestationVerifier verifier,
                    AppraisalPolicy basePolicy) {
        this(jobId, launchFacts, new ResultAttestation(verifier, certificates, basePolicy, null),
                requireNonNull(basePolicy, "basePolicy is null").launchedPolicy().orElseGet(() -> launchedPolicy(launchFacts)));
    }

    private static long launchedPolicy(Map<String, String> launchFacts) {
        String policy = launchFacts.get("policy");
        if (policy == null) {
            throw new IllegalArgumentException("the appraisal policy names no launched guest policy and the launch facts have no 'policy'");
        }
        return Long.decode(policy);
    }

    @Override
    public byte[] hostData(ExecRequest request) {
        Map<String, String> facts = new TreeMap<>(launchFacts);
        facts.put("task", HexFormat.of().formatHex(TaskBinding.taskDigest(request)));
        return TaskBinding.hostData(jobId, facts);
    }

    /** Without a computed measurement: the operator's allow-list ({@code expected-measurements}) must hold the report's. */
    @Override
    public Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result) {
        return verify(request, nonce, expectedHostData, result, Optional.empty());
    }

    /** The backend's path: the report's MEASUREMENT must also be the one computed for this launch (and is the evidence's). */
    @Override
    public Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result, SnpMeasurement expectedMeasurement) {
        return MeasurementPin.pin(verify(request, nonce, expectedHostData, result, Optional.of(expectedMeasurement)), expectedMeasurement);
    }

    private Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result, Optional<SnpMeasurement> measurement) {
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
        // REPORT_DATA must be SHA-512 of the very statement checked above (binding.report-data): the report vouches for that text only.
        Attestation appraised = results.verifyReport(result.report(), Optional.of(result.certificates()), statement, Optional.of(expectedHostData),
                measurement.map(SnpMeasurement::hex), launchedPolicy);
        return withChecks(appraised, binding);
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
