package dev.kavach.api;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Hardware evidence of where and what ran, verified by the backend before it returned the result.
 *
 * @param format   the evidence format, e.g. {@code "sev-snp"}
 * @param verified true only when every check passed
 * @param claims   decoded facts, e.g. {@code measurement}, {@code reported_tcb}, {@code chip_id}, {@code report_data}
 * @param checks   every check made, passed or failed, with why
 */
@Experimental(eta = "1.0")
public record Attestation(String format, boolean verified, Map<String, String> claims, List<Check> checks) {
    public Attestation {
        requireNonNull(format, "format is null");
        claims = Map.copyOf(requireNonNull(claims, "claims is null"));
        checks = List.copyOf(requireNonNull(checks, "checks is null"));
    }

    /** One appraisal step. */
    public record Check(String name, boolean passed, String detail) {
        public Check {
            requireNonNull(name, "name is null");
            requireNonNull(detail, "detail is null");
        }
    }
}
