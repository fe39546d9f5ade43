package dev.kavach.attestation.snp;

import dev.kavach.api.KavachException;

/**
 * A certificate needed to verify a report could not be read, found in the cache directory, or fetched
 * from AMD's key distribution service. The message says which and why; {@link #fix()} what to do.
 */
public final class CertificateUnavailableException extends KavachException {
    private static final long serialVersionUID = 1L;
    private final boolean notFound;

    public CertificateUnavailableException(String message, String fix) {
        this(message, fix, false);
    }

    private CertificateUnavailableException(String message, String fix, boolean notFound) {
        super(message, fix);
        this.notFound = notFound;
    }

    /** The source answered, but has no such certificate (KDS 404, nothing cached): another generation may. */
    static CertificateUnavailableException notFound(String message, String fix) {
        return new CertificateUnavailableException(message, fix, true);
    }

    /** True when the certificate does not exist at the source asked, as opposed to the source failing. */
    public boolean notFound() {
        return notFound;
    }

    public CertificateUnavailableException(String message, String fix, Throwable cause) {
        super(message, fix, cause);
        this.notFound = false;
    }
}
