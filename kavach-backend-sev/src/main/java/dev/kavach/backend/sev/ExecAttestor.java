package dev.kavach.backend.sev;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;

/**
 * The seam between the {@code sev} backend's exec path and attestation: what the host binds into the
 * launch ({@code host-data}) and into each report ({@code REPORT_DATA}), and how it verifies the report the
 * guest agent returns before the result is trusted.
 */
public interface ExecAttestor {
    /** The 32-byte job digest QEMU puts in HOST_DATA at launch. */
    byte[] hostData(ExecRequest request);

    /** The 64 bytes the guest must request its report with, e.g. SHA-512(nonce || task digest). */
    byte[] reportData(ExecRequest request, byte[] nonce);

    /**
     * Verifies a report returned by the guest agent against what this host expects.
     *
     * @param report             the raw 1184-byte ATTESTATION_REPORT
     * @param expectedReportData what {@link #reportData} returned for this exec
     * @param expectedHostData   what {@link #hostData} returned for this exec
     * @return the appraisal; {@link Attestation#verified()} is false when any check failed
     */
    Attestation verify(byte[] report, byte[] expectedReportData, byte[] expectedHostData);

    /**
     * Like {@link #verify(byte[], byte[], byte[])}, and the report's MEASUREMENT must also equal
     * {@code expectedMeasurement}, the value computed from the launch the host made (check
     * {@code launch.measurement}, claim {@code expected_measurement}).
     */
    default Attestation verify(byte[] report, byte[] expectedReportData, byte[] expectedHostData,
                               dev.kavach.backend.sev.measure.SnpMeasurement expectedMeasurement) {
        return MeasurementPin.pin(verify(report, expectedReportData, expectedHostData), expectedMeasurement);
    }
}
