package dev.kavach.attestation.snp;

import java.security.cert.X509Certificate;

import static java.util.Objects.requireNonNull;

/**
 * The certificates that vouch for a report: the endorsement key (VCEK or VLEK), its signing key (ASK for
 * a VCEK, ASVK for a VLEK) and AMD's root key (ARK). Nothing is trusted yet: {@link ReportVerifier} checks
 * the chain and pins the ARK.
 */
public record VekChain(X509Certificate vek, X509Certificate ask, X509Certificate ark) {
    public VekChain {
        requireNonNull(vek, "vek is null");
        requireNonNull(ask, "ask is null");
        requireNonNull(ark, "ark is null");
    }
}
