package dev.kavach.api;

import java.io.InputStream;
import java.util.List;

/**
 * A sandbox kept alive across execs until it is closed, made by {@link SandboxBackend#openSession}: its
 * working directory (and, for a VM backend, its guest) persists from one exec to the next, and files move in
 * and out of that directory. Backends that make sessions declare {@link Capability#SESSIONS}.
 *
 * <p>Paths name files relative to the session's working directory and follow {@link SandboxPaths}; the
 * backend confines what they reach: a symbolic link, a {@code ..}, a device or a FIFO that would lead outside
 * the working directory is refused, never followed. Every transfer is bounded by the session policy's
 * {@link SandboxPolicy#transferLimitBytes()}.
 *
 * <p>Each exec runs with the session's working directory as its default working directory, under the
 * session's policy for everything the sandbox shares (memory, CPUs, processes, network, file system, system
 * call filter); the request's own timeout and output limit apply to that exec. The host hands a session only
 * requests whose sandbox-wide policy equals the session's. Methods may be called from several threads; a
 * backend may run them one at a time.
 */
public interface SandboxSession extends AutoCloseable {
    /**
     * Runs one command in the session and hands its output to {@code listener} as it arrives, as {@link
     * SandboxBackend#exec(ExecRequest, OutputListener)} does. A relative {@link ExecRequest#workdir()} is
     * resolved against the session's working directory.
     *
     * @throws SandboxException when the session can no longer run anything (its guest stopped answering,
     *                          say); the session is then unusable and says why in {@link #health()}
     */
    ExecResult exec(ExecRequest request, OutputListener listener);

    /**
     * Writes a file, replacing what was there; parent directories are created (mode {@code 0755}).
     *
     * @throws TransferLimitExceededException when the content is larger than the transfer limit; nothing is left
     *                                        behind
     * @throws SandboxException               when the path reaches outside the working directory, or the
     *                                        write fails
     */
    void put(FileInput file);

    /**
     * Opens a regular file for reading. The file's size is checked against the transfer limit before any byte
     * is read, and the stream ends with an {@link java.io.IOException} rather than a silent cut if it grows
     * past the limit meanwhile. The caller closes the stream.
     *
     * @throws TransferLimitExceededException when the file is larger than the transfer limit
     * @throws SandboxException               when the file does not exist, is not a regular file, or reaches
     *                                        outside the working directory
     */
    InputStream get(String path);

    /**
     * Lists a directory, {@code ""} for the working directory itself, sorted by name.
     *
     * @throws SandboxException when it does not exist, is not a directory, or reaches outside
     */
    List<FileEntry> list(String directory);

    /**
     * The session's evidence so far, for a backend with hardware attestation: every exec (each attested with a
     * fresh nonce, its {@link Attestation} among the checks) and every file transfer, in order, as claims
     * {@code event.0}, {@code event.1}, ... ; {@link Attestation#verified()} only when every exec's attestation
     * was. Empty for a backend without attestation (the default).
     */
    default java.util.Optional<Attestation> attestation() {
        return java.util.Optional.empty();
    }

    /** Whether this session can still take work. */
    default Health health() {
        return Health.ok();
    }

    /**
     * Ends the session: stops whatever still runs in it and removes its working directory (also after the
     * command crashed). Idempotent; never throws checked exceptions.
     */
    @Override
    void close();
}
