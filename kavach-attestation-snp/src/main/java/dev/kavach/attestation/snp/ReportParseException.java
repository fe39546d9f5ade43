package dev.kavach.attestation.snp;

import dev.kavach.api.KavachException;

import static java.util.Objects.requireNonNull;

/**
 * The one exception {@link AttestationReport#parse(byte[])} throws for bad input: the bytes are not a
 * well-formed SEV-SNP ATTESTATION_REPORT. Names the field and its byte offset so the producer can be found.
 */
public final class ReportParseException extends KavachException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final int offset;

    public ReportParseException(String field, int offset, String problem) {
        super("invalid SEV-SNP attestation report: " + requireNonNull(field, "field is null")
                        + String.format(" at offset 0x%03X: ", offset) + requireNonNull(problem, "problem is null"),
                "pass the raw 1184-byte report exactly as /dev/sev-guest or configfs-tsm returned it (versions 2, 3 or 5)");
        this.field = field;
        this.offset = offset;
    }

    /** The report field that was wrong, e.g. {@code "signature_algo"}. */
    public String field() {
        return field;
    }

    /** The byte offset of that field in the report. */
    public int offset() {
        return offset;
    }
}
