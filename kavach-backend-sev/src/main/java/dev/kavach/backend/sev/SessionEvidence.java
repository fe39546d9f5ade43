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

    /**
     * The record as one {@link Attestation} ({@code format} {@code sev-snp-session}): a claim per event, and a
     * check per exec that passes only when that exec's own attestation was verified. Empty until an exec was
     * attested (a plain {@code vm} session has no evidence to give).
     */
    synchronized Optional<Attestation> attestation() {
        if (entries.stream().noneMatch(e -> e.attestation().isPresent())) {
            return Optional.empty();
        }
        java.util.Map<String, String> claims = new java.util.LinkedHashMap<>();
        List<Attestation.Check> checks = new ArrayList<>();
        for (Entry e : entries) {
            String text = e.kind().equals("exec")
                    ? "exec argv_sha256=" + e.path() + " exit=" + e.size() + " stdout_sha256=" + e.sha256() + e.nonce().map(n -> " nonce=" + n).orElse("")
                    : e.kind() + " path=" + e.path() + " size=" + e.size() + " sha256=" + e.sha256();
            claims.put("event." + e.index(), text);
            if (e.kind().equals("exec")) {
                boolean verified = e.attestation().map(Attestation::verified).orElse(false);
                checks.add(new Attestation.Check("exec " + e.index(), verified, e.attestation()
                        .map(a -> verified ? "attested, REPORT_DATA binds nonce " + e.nonce().orElse("?")
                                : "attestation failed: " + a.checks().stream().filter(c -> !c.passed()).map(Attestation.Check::detail).findFirst().orElse("?"))
                        .orElse("not attested")));
            }
        }
        return Optional.of(new Attestation("sev-snp-session", checks.stream().allMatch(Attestation.Check::passed), claims, checks));
    }
}
