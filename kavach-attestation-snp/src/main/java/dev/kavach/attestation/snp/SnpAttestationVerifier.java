package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Verifies a report end to end: signature and certificate chain ({@link ReportVerifier}), then the
 * relying party's {@link AppraisalPolicy}. The policy checks are listed even when the signature fails, so
 * that a user sees everything that is wrong at once; {@link AttestationResult#passed()} needs all of them.
 */
public final class SnpAttestationVerifier {
    private final ReportVerifier verifier;

    public SnpAttestationVerifier(ReportVerifier verifier) {
        this.verifier = requireNonNull(verifier, "verifier is null");
    }

    /** A verifier at the system clock with a small chain cache. */
    public static SnpAttestationVerifier atSystemClock() {
        return new SnpAttestationVerifier(new ReportVerifier(Clock.systemUTC(), new ChainCache(64)));
    }

    public AttestationResult verify(AttestationReport report, VekChain chain, AppraisalPolicy policy) {
        return verify(report, chain, policy, null);
    }

    /**
     * Also checks revocation against AMD's CRL, when {@code revocation} is not null: a missing or
     * unverifiable CRL is a failed {@code revocation} check.
     */
    public AttestationResult verify(AttestationReport report, VekChain chain, AppraisalPolicy policy, Revocation.Source revocation) {
        requireNonNull(report, "report is null");
        requireNonNull(chain, "chain is null");
        requireNonNull(policy, "policy is null");
        ChainVerification chainResult = verifier.verify(report, chain);
        List<Check> checks = new ArrayList<>(chainResult.checks());
        if (revocation != null) {
            checks.add(Revocation.check(chain, chainResult.layout(), revocation, verifier.now()));
        }
        checks.addAll(Appraisal.checks(report, chainResult.layout(), policy));
        return new AttestationResult(report, chainResult.generation(), chainResult.layout(), checks);
    }
}
