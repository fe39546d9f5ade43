package dev.kavach.attestation.snp;

import java.util.List;

/** A guest's result statement does not match what the verifier sent or received; names every part that differs. */
public final class ResultMismatchException extends RuntimeException {
    private final List<String> differences;

    public ResultMismatchException(List<String> differences) {
        super(String.join("; ", differences));
        this.differences = List.copyOf(differences);
    }

    /** One line per part that differs, e.g. "stdout digest differs: the guest vouched for X, the host received Y". */
    public List<String> differences() {
        return differences;
    }
}
