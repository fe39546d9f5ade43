package dev.kavach.backend.sev.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;

import static java.util.Objects.requireNonNull;

/**
 * The seam between the {@code sev} backend's exec path and attestation: what the host binds into the
 * launch ({@code host-data}), and how it checks what the guest vouched for before the result is trusted.
 * The host sends the guest only a fresh nonce; the guest agent hashes what it received and produced into a
 * {@link dev.kavach.attestation.snp.ResultStatement} and returns it with a report whose REPORT_DATA
 * is SHA-512 of that statement.
 */
public interface ExecAttestor {
    /** The 32-byte job digest QEMU puts in HOST_DATA at launch. */
    byte[] hostData(ExecRequest request);

    /**
     * What the guest returned for one exec and what the host received beside it.
     *
     * @param statement     the result statement's exact bytes, as the guest wrote them
     * @param report        the raw ATTESTATION_REPORT from configfs-tsm's outblob
     * @param certificates  configfs-tsm's auxblob (the host's certificate table), empty when none
     * @param stdout        the stdout bytes received
     * @param stderr        the stderr bytes received
     * @param stdoutDropped the stdout bytes the guest reported as dropped past the output limit
     * @param stderrDropped the stderr bytes the guest reported as dropped past the output limit
     * @param exit          the exit status the agent reported
     */
    record GuestResult(byte[] statement, byte[] report, byte[] certificates, byte[] stdout, byte[] stderr, long stdoutDropped,
                       long stderrDropped, int exit) {
        public GuestResult {
            requireNonNull(statement, "statement is null");
            requireNonNull(report, "report is null");
            certificates = certificates == null ? new byte[0] : certificates;
            requireNonNull(stdout, "stdout is null");
            requireNonNull(stderr, "stderr is null");
        }
    }

    /**
     * Verifies the report (signature, certificate chain, appraisal, REPORT_DATA = SHA-512 of the statement,
     * HOST_DATA) and the statement against what this host sent and received.
     *
     * @return the appraisal; {@link Attestation#verified()} is false when any check failed, and each failed
     *         check names what differs
     */
    Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result);

    /**
     * Like {@link #verify(ExecRequest, byte[], byte[], GuestResult)}, and the report's MEASUREMENT must also equal
     * {@code expectedMeasurement}, the value computed from the launch the host made (check
     * {@code launch.measurement}, claim {@code expected_measurement}).
     */
    default Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result,
                               dev.kavach.backend.sev.measure.SnpMeasurement expectedMeasurement) {
        return MeasurementPin.pin(verify(request, nonce, expectedHostData, result), expectedMeasurement);
    }
}
