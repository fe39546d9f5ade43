package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What {@link ReportVerifier} found.
 *
 * @param generation the generation the pinned ARK belongs to; empty when the ARK is none of AMD's
 * @param layout     the generation whose TCB layout decoded the report (pinned ARK, else the VEK's product
 *                   name, else the report's CPUID, else Milan)
 * @param checks     every check with its outcome
 */
public record ChainVerification(Optional<SevGeneration> generation, SevGeneration layout, List<Check> checks) {
    public ChainVerification {
        requireNonNull(generation, "generation is null");
        requireNonNull(layout, "layout is null");
        checks = List.copyOf(requireNonNull(checks, "checks is null"));
    }

    /** True when every check passed. */
    public boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    public List<Check> failures() {
        return checks.stream().filter(c -> !c.passed()).toList();
    }
}
