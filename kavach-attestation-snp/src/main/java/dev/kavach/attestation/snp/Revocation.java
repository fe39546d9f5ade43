package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;
import dev.kavach.api.KavachException;

import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * Revocation against AMD's CRL, as go-sev-guest's {@code verify} does with {@code CheckRevocations}: the CRL
 * KDS serves per generation ({@code /vcek/v1/{gen}/crl}, {@code /vlek/v1/{gen}/crl}) is signed by the ARK
 * and lists revoked ASKs and ASVKs. The CRL is accepted only when the ARK given (already pinned by
 * {@link ReportVerifier}) issued and signed it, and when it is current.
 */
public final class Revocation {
    /** Where a CRL comes from: the certificate cache or KDS ({@link CertificateStore#crlFor}), a file, or a test. */
    @FunctionalInterface
    public interface Source {
        X509CRL crl(SevGeneration generation, SigningKey kind);
    }

    private Revocation() {
    }

    /** The {@code revocation} check for a chain of {@code generation}, at {@code now}. Never throws for bad input. */
    public static Check check(VekChain chain, SevGeneration generation, Source source, Instant now) {
        requireNonNull(chain, "chain is null");
        SigningKey kind = new VekCertificate(chain.vek()).kind();
        X509CRL crl;
        try {
            crl = source.crl(generation, kind);
        } catch (KavachException e) {
            return new Check("revocation", false, "no CRL to check against: " + e.oneLine());
        }
        return check(chain, crl, now);
    }

    /** The {@code revocation} check of a chain against one CRL. */
    public static Check check(VekChain chain, X509CRL crl, Instant now) {
        X509Certificate ark = chain.ark();
        String ask = new VekCertificate(chain.vek()).kind() == SigningKey.VLEK ? "ASVK" : "ASK";
        if (!crl.getIssuerX500Principal().equals(ark.getSubjectX500Principal())) {
            return new Check("revocation", false, "the CRL was issued by '" + crl.getIssuerX500Principal().getName() + "', not by the ARK '"
                    + ark.getSubjectX500Principal().getName() + "': fetch the CRL of this report's generation");
        }
        try {
            crl.verify(ark.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
            return new Check("revocation", false, "the CRL's signature does not verify with the ARK key (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "): it is not AMD's");
        }
        Instant thisUpdate = crl.getThisUpdate().toInstant();
        if (now.isBefore(thisUpdate)) {
            return new Check("revocation", false, "the CRL is dated " + thisUpdate + ", after the verification time " + now);
        }
        if (crl.getNextUpdate() != null && now.isAfter(crl.getNextUpdate().toInstant())) {
            return new Check("revocation", false, "the CRL expired at " + crl.getNextUpdate().toInstant() + " (verification time " + now
                    + "): fetch a current one (kavach sev fetch-certs --crl)");
        }
        X509CRLEntry revoked = crl.getRevokedCertificate(chain.ask());
        if (revoked != null) {
            return new Check("revocation", false, "AMD revoked the " + ask + " (serial " + chain.ask().getSerialNumber().toString(16) + ") on "
                    + revoked.getRevocationDate().toInstant() + ": reports signed under it are not trusted");
        }
        int entries = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
        return new Check("revocation", true, ask + " serial " + chain.ask().getSerialNumber().toString(16) + " is not among the " + entries
                + " revoked in AMD's CRL of " + thisUpdate + " (signed by the ARK)");
    }
}
