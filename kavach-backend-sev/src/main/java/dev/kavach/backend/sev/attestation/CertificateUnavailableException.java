package dev.kavach.backend.sev.attestation;

import dev.kavach.api.KavachException;

/**
 * A certificate needed to verify a report could not be read, found in the cache directory, or fetched
 * from AMD's key distribution service. The message says which and why; {@link #fix()} what to do.
 */
public final class CertificateUnavailableException extends KavachException {
    private static final long serialVersionUID = 1L;

    public CertificateUnavailableException(String message, String fix) {
        super(message, fix);
    }

    public CertificateUnavailableException(String message, String fix, Throwable cause) {
        super(message, fix, cause);
    }
}
