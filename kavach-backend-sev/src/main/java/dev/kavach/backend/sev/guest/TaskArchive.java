package dev.kavach.backend.sev.guest;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.attestation.snp.ResultBinding;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The task as it travels to the guest agent: a cpio archive read by busybox {@code cpio -i} on the
 * {@code kavach.task} port. Argv and environment go in {@code argv} and {@code env} as the canonical
 * NUL-terminated files of {@link ResultBinding}; the agent composes the runner's argument list from them
 * ({@link #runnerArgs}) and hands it to {@code xargs -0} (each string becomes one argument: no shell ever
 * parses them), so what it runs is exactly what it hashes. The work directory, stdin, limits (open files,
 * file size, pids, read-only root, number of environment entries), the task's PATH and the output limit are
 * files of their own; {@code nonce} (SNP only) is the host's fresh nonce in hex, the one thing the host
 * contributes to the guest's result statement.
 */
public final class TaskArchive {
    /** Linux's MAX_ARG_STRLEN: the longest single argument or environment string execve takes. */
    static final int MAX_STRING = 128 * 1024;
    /** Total argv plus environment; the agent's {@code xargs -s} allows a little more. */
    static final int MAX_TOTAL = 768 * 1024;
    /** The working directory when the request names none. */
    public static final String DEFAULT_WORKDIR = ResultBinding.DEFAULT_WORKDIR;

    /** The PATH the task's program is looked up on when the request's environment sets none (busybox ash's own default). */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private TaskArchive() {
    }

    /**
     * The NUL-separated argument list the agent's runner receives, as the agent composes it from {@code env}
     * and {@code argv} ({@code attest command}): {@code /bin/env -i -- VARS... /kavach/drop-exec PROGRAM ARGV...},
     * where PROGRAM is {@code argv[0]} again, which the runner replaces by the path it finds on the task's PATH.
     * {@code env} runs as root and only sets the environment; drop-exec execs the task by that path as the task
     * user, so whether the program was found is recorded by the agent, never by something the task runs.
     */
    static List<String> runnerArgs(ExecRequest request) {
        List<String> args = new ArrayList<>(List.of("/bin/env", "-i", "--"));
        String env = new String(ResultBinding.envFile(request.env()), StandardCharsets.UTF_8);
        if (!env.isEmpty()) {
            args.addAll(List.of(env.substring(0, env.length() - 1).split("\0", -1)));
        }
        // A first argv element containing '=' would otherwise be taken by env as a variable.
        args.add("/" + DropExecProgram.PATH);
        args.add(request.command().argv().get(0));
        args.addAll(request.command().argv());
        return List.copyOf(args);
    }

    /** Encodes a request in memory, stdin included; {@code nonce} is null outside SNP. */
    public static byte[] encode(ExecRequest request, byte[] nonce) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            encode(request, nonce, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Writes the archive to {@code out}, copying stdin from its source in chunks; its length must be known
     * (bytes, or a regular file such as the one {@link StagedStdin} spools).
     */
    public static void encode(ExecRequest request, byte[] nonce, OutputStream out) throws IOException {
        List<String> args = runnerArgs(request);
        ByteArrayOutputStream cmd = new ByteArrayOutputStream();
        for (int i = 0; i < args.size(); i++) {
            byte[] bytes = args.get(i).getBytes(StandardCharsets.UTF_8);
            if (bytes.length >= MAX_STRING) {
                throw new PolicyNotEnforceableException(
                        "an argument or environment entry of " + bytes.length + " bytes exceeds the guest kernel's limit of " + MAX_STRING
                                + " bytes per string: '" + args.get(i).substring(0, Math.min(40, args.get(i).length())) + "...'",
                        "pass large data through stdin instead of arguments or environment");
            }
            cmd.writeBytes(bytes);
            cmd.write(0);
        }
        if (cmd.size() > MAX_TOTAL) {
            throw new PolicyNotEnforceableException("arguments and environment total " + cmd.size() + " bytes; the guest accepts at most " + MAX_TOTAL,
                    "pass large data through stdin instead of arguments or environment");
        }
        SandboxPolicy policy = request.policy();
        String limits = policy.maxOpenFiles() + " " + policy.maxFileSizeBytes() + " " + policy.maxPids() + " " + (policy.readOnlyRoot() ? 1 : 0)
                + " " + request.env().size() + "\n";
        String path = request.env().getOrDefault("PATH", DEFAULT_PATH);
        long stdinBytes = request.stdinSource().knownLength()
                .orElseThrow(() -> new IllegalArgumentException("stage stdin first: its length must be known to archive it"));
        try (CpioWriter cpio = new CpioWriter(out); InputStream stdin = request.stdinSource().open()) {
            cpio.file("argv", 0600, ResultBinding.argvFile(request.command().argv()));
            cpio.file("env", 0600, ResultBinding.envFile(request.env()));
            cpio.file("workdir", 0600, ResultBinding.workdirFile(request));
            cpio.file("stdin", 0600, stdinBytes, stdin);
            cpio.file("limits", 0600, limits.getBytes(StandardCharsets.US_ASCII));
            cpio.file("path", 0600, path.getBytes(StandardCharsets.UTF_8));
            // Outputs are bounded in the guest, so the bytes it hashes are exactly the bytes the host receives.
            cpio.file("outlimit", 0600, (policy.outputLimitBytes() + "\n").getBytes(StandardCharsets.US_ASCII));
            if (nonce != null) {
                cpio.file("nonce", 0600, ResultBinding.nonceText(nonce).getBytes(StandardCharsets.US_ASCII));
            }
        }
    }
}
