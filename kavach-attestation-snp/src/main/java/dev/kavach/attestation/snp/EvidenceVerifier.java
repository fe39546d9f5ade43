package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Re-verifies {@link SnpEvidence} anywhere, offline: the report's signature and chain to AMD's pinned
 * root ({@link ReportVerifier}), the appraisal ({@link AppraisalPolicy}, with the evidence's launch policy
 * as the launched one), REPORT_DATA = SHA-512 of the statement text, the report's MEASUREMENT against the
 * evidence's and against a reference the verifier computed itself ({@code kavach sev measure}), and,
 * when the outputs are at hand, their SHA-256 against the statement's {@code stdout} and {@code stderr}.
 * Every step is a named check in the result.
 */
public final class EvidenceVerifier {
    private final SnpAttestationVerifier verifier;

    public EvidenceVerifier(SnpAttestationVerifier verifier) {
        this.verifier = requireNonNull(verifier, "verifier is null");
    }

    /**
     * What the verifier brings.
     *
     * @param measurement     the reference measurement (96 hex digits) computed independently; empty when the
     *                        policy's expected measurements decide, or with {@code anyMeasurement} to accept any
     * @param anyMeasurement  accept without a reference (the result then proves only that some guest ran)
     * @param stdout          the command's stdout as received, to compare with the statement
     * @param stderr          the command's stderr as received
     * @param policy          the appraisal policy (TCB minimums, VMPL...); the launched policy and measurement are added
     * @param revocation      where AMD's CRL comes from, or null not to check revocation
     */
    public record Options(Optional<String> measurement, boolean anyMeasurement, Optional<byte[]> stdout, Optional<byte[]> stderr,
                          AppraisalPolicy policy, Revocation.Source revocation) {
        public Options {
            requireNonNull(measurement, "measurement is null");
            requireNonNull(stdout, "stdout is null");
            requireNonNull(stderr, "stderr is null");
            requireNonNull(policy, "policy is null");
            measurement = measurement.map(m -> SnpEvidence.measurementHex(m, "reference measurement"));
        }
    }

    public AttestationResult verify(SnpEvidence evidence, Options options) {
        requireNonNull(evidence, "evidence is null");
        requireNonNull(options, "options is null");
        // The reference and the allow-list must both hold: the reference is its own check, not one more allowed value.
        AppraisalPolicy.Builder policy = options.policy().toBuilder().launchedPolicy(evidence.launchPolicy());
        AttestationResult result = verifier.verify(evidence.report(), evidence.chain(), policy.build(), options.revocation());
        List<Check> checks = new ArrayList<>(result.checks());
        checks.addAll(bindingChecks(evidence, options));
        // A verifier that requires a policy of its own (--launched-policy) is not satisfied by the evidence's claim alone.
        options.policy().launchedPolicy().ifPresent(required -> checks.add(required == evidence.launchPolicy()
                ? new Check("evidence.launch-policy", true, String.format("the evidence's launch policy is the required 0x%x", required))
                : new Check("evidence.launch-policy", false, String.format("the evidence says the VM was launched with policy 0x%x, not the"
                + " required 0x%x", evidence.launchPolicy(), required))));
        return new AttestationResult(result.report(), result.generation(), result.layout(), checks);
    }

    private static List<Check> bindingChecks(SnpEvidence evidence, Options options) {
        List<Check> checks = new ArrayList<>();
        checks.add(reportData(evidence.report(), evidence.statement()));
        String reported = evidence.reportMeasurement();
        checks.add(reported.equals(evidence.measurement())
                ? new Check("evidence.measurement", true, "the report's MEASUREMENT equals the one the host pinned")
                : new Check("evidence.measurement", false, "the report's MEASUREMENT " + reported + " differs from the evidence's "
                + evidence.measurement() + ": the host ran another guest than it claims"));
        if (options.measurement().isPresent()) {
            String reference = options.measurement().get();
            checks.add(reported.equals(reference)
                    ? new Check("measurement.reference", true, "the report's MEASUREMENT equals the reference computed for this launch")
                    : new Check("measurement.reference", false, "the report's MEASUREMENT " + reported + " differs from the reference " + reference
                    + ": the firmware, kernel, initrd, command line, vCPU count or type, or guest features differ from what was measured"));
        } else if (!options.policy().expectedMeasurements().isEmpty()) {
            checks.add(new Check("measurement.reference", true, "no reference computed; the report's MEASUREMENT is held to the "
                    + options.policy().expectedMeasurements().size() + " expected (policy.measurement)"));
        } else if (options.anyMeasurement()) {
            checks.add(new Check("measurement.reference", true, "no reference measurement given (--any-measurement): the report proves"
                    + " only that some SNP guest produced this result"));
        } else {
            checks.add(new Check("measurement.reference", false, "no reference measurement given: compute it from the same firmware, kernel,"
                    + " initrd and command line with 'kavach sev measure' and pass it with --measurement (or accept any with --any-measurement)"));
        }
        options.stdout().ifPresent(bytes -> checks.add(output(evidence.statement(), "stdout", bytes)));
        options.stderr().ifPresent(bytes -> checks.add(output(evidence.statement(), "stderr", bytes)));
        return checks;
    }

    /** {@code binding.report-data}: the report's REPORT_DATA is SHA-512 of the statement's text. */
    public static Check reportData(AttestationReport report, ResultStatement statement) {
        return MessageDigest.isEqual(report.reportData(), statement.reportData())
                ? new Check("binding.report-data", true, "REPORT_DATA is SHA-512 of the result statement")
                : new Check("binding.report-data", false, "REPORT_DATA " + HexFormat.of().formatHex(report.reportData())
                + " is not SHA-512 of the result statement (" + HexFormat.of().formatHex(statement.reportData())
                + "): the statement was altered or belongs to another report");
    }

    /**
     * {@code binding.stdout} or {@code binding.stderr}: SHA-256 of the bytes received equals the statement's
     * field of that name (hex). Says which part differs.
     */
    public static Check output(ResultStatement statement, String field, byte[] received) {
        String name = "binding." + field;
        String expected = statement.fields().get(field);
        if (expected == null) {
            return new Check(name, false, "the result statement has no '" + field + "' field to compare the " + field + " with (it has "
                    + statement.fields().keySet() + ")");
        }
        String actual = HexFormat.of().formatHex(sha256(received));
        return actual.equals(expected)
                ? new Check(name, true, field + " (" + received.length + " bytes) matches the SHA-256 the guest vouched for")
                : new Check(name, false, field + " differs from what the guest vouched for: SHA-256 of the " + received.length
                + " bytes given is " + actual + ", the statement says " + expected);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
