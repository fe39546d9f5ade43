package dev.kavach.backend.sev.snp;

import dev.kavach.api.Attestation;
import dev.kavach.backend.sev.measure.SnpMeasurement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Pins an appraised report to the measurement Kavach computed for the launch it made: a valid signature
 * proves AMD hardware launched some guest; only this proves it was the guest Kavach started (firmware,
 * kernel, initrd, command line, vCPUs). {@code attestation.expected-measurements}, when set, stays an
 * additional allow-list appraised beside it.
 */
public final class MeasurementPin {
    static final String CHECK = "launch.measurement";
    static final String EXPECTED_CLAIM = "expected_measurement";

    private MeasurementPin() {
    }

    public static Attestation pin(Attestation attestation, SnpMeasurement expected) {
        requireNonNull(attestation, "attestation is null");
        requireNonNull(expected, "expected is null");
        String reported = attestation.claims().get("measurement");
        boolean passed = expected.hex().equalsIgnoreCase(reported == null ? "" : reported);
        String detail = reported == null
                ? "the report gave no measurement to compare with the computed " + expected.hex()
                : passed ? "MEASUREMENT " + reported + " is what Kavach computed for this launch"
                : "MEASUREMENT " + reported + " is not the " + expected.hex() + " Kavach computed for this launch (firmware, kernel, initrd,"
                + " command line, vCPU count and model, guest features): a different guest ran, or the host's QEMU/KVM launch differs"
                + " (check kavach.backends.sev.guest-features, e.g. 0x21 for hosts that enable DebugSwap, and vcpu-signature)";
        Map<String, String> claims = new LinkedHashMap<>(attestation.claims());
        claims.put(EXPECTED_CLAIM, expected.hex());
        List<Attestation.Check> checks = new ArrayList<>(attestation.checks());
        checks.add(new Attestation.Check(CHECK, passed, detail));
        return new Attestation(attestation.format(), attestation.verified() && passed, claims, checks);
    }
}
