package dev.kavach.backend.sev;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.attestation.snp.ResultBinding;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The record of one session, in order: every exec (with its nonce and, under {@code sev}, the verified
 * attestation whose REPORT_DATA binds that nonce, the argv, env, workdir, stdin and outputs) and every file
 * transfer (direction, path, size, SHA-256 of the bytes that crossed). Transfers are what this host sent and
 * received; the guest vouches for execs only.
 */
public final class SessionEvidence {
    /**
     * One event.
     *
     * @param kind        {@code exec}, {@code put} or {@code get}
     * @param path        the file, for a transfer; the argv digest, for an exec
     * @param size        bytes moved (transfers) or the exit status (execs)
     * @param sha256      of the file's bytes (transfers) or of the stdout received (execs)
     * @param nonce       the exec's fresh nonce in hex (sev only)
     * @param attestation the exec's verified attestation (sev only)
     */
    public record Entry(int index, String kind, String path, long size, String sha256, Optional<String> nonce, Optional<Attestation> attestation) {
        public Entry {
            requireNonNull(kind, "kind is null");
            requireNonNull(path, "path is null");
            requireNonNull(sha256, "sha256 is null");
            requireNonNull(nonce, "nonce is null");
            requireNonNull(attestation, "attestation is null");
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    synchronized void exec(ExecRequest request, ExecResult result, byte[] nonce, Attestation attestation) {
        String argv = HexFormat.of().formatHex(VmSession.sha256().digest(ResultBinding.argvFile(request.command().argv())));
        entries.add(new Entry(entries.size(), "exec", argv, result.exitCode(), HexFormat.of().formatHex(VmSession.sha256().digest(result.stdout().bytes())),
                Optional.ofNullable(nonce).map(ResultBinding::nonceText), Optional.ofNullable(attestation)));
    }

    synchronized void transfer(String direction, String path, long size, String sha256) {
        entries.add(new Entry(entries.size(), direction, path, size, sha256, Optional.empty(), Optional.empty()));
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }
}
