package dev.kavach.attestation.snp;

import dev.kavach.api.ExecRequest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * How a guest's {@link ResultStatement} is tied to one exec, and how the host (or a remote verifier) checks
 * it. The host sends only a fresh nonce with the task; the guest agent hashes what it received and what it
 * produced, writes the statement and asks for a report with REPORT_DATA = SHA-512(statement text). The host
 * recomputes every digest from what it sent and received and names each part that differs.
 *
 * <p>The task reaches the guest as canonical files, and the statement's digests are SHA-256 over exactly
 * these bytes, lower-case hex:
 * <ul>
 *   <li>{@code argv}: each argument in UTF-8 followed by one NUL byte;</li>
 *   <li>{@code env}: each {@code NAME=VALUE} in UTF-8 followed by one NUL byte, sorted by name compared as
 *       unsigned UTF-8 bytes;</li>
 *   <li>{@code workdir}: the working directory in UTF-8, no terminator ({@value #DEFAULT_WORKDIR} when the
 *       request names none);</li>
 *   <li>{@code stdin}: the stdin bytes.</li>
 * </ul>
 * Outputs are bounded in the guest, so "as delivered" is well defined: the guest forwards at most
 * {@code output-limit} bytes of each stream (0 = no limit), hashes exactly those bytes and counts the rest
 * as dropped. The statement's fields, in this order: {@code nonce} (hex), {@code argv}, {@code env},
 * {@code workdir}, {@code stdin}, {@code output-limit}, {@code stdout}, {@code stderr},
 * {@code stdout-dropped}, {@code stderr-dropped}, {@code exit} (decimal).
 */
public final class ResultBinding {
    /** The working directory a task runs in when its request names none. */
    public static final String DEFAULT_WORKDIR = "/work";
    /** The statement's keys, in their fixed order. */
    public static final List<String> FIELDS = List.of("nonce", "argv", "env", "workdir", "stdin", "output-limit", "stdout", "stderr",
            "stdout-dropped", "stderr-dropped", "exit");

    private ResultBinding() {
    }

    /** The canonical {@code argv} file: each argument NUL-terminated. */
    public static byte[] argvFile(List<String> argv) {
        requireNonNull(argv, "argv is null");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String arg : argv) {
            out.writeBytes(arg.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** The canonical {@code env} file: {@code NAME=VALUE} NUL-terminated, sorted by the names' UTF-8 bytes. */
    public static byte[] envFile(Map<String, String> env) {
        requireNonNull(env, "env is null");
        List<byte[]> names = new ArrayList<>();
        Map<String, String> byName = new LinkedHashMap<>(env);
        byName.keySet().forEach(name -> names.add(name.getBytes(StandardCharsets.UTF_8)));
        names.sort(Arrays::compareUnsigned);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] name : names) {
            String key = new String(name, StandardCharsets.UTF_8);
            out.writeBytes(name);
            out.write('=');
            out.writeBytes(byName.get(key).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** The canonical {@code workdir} file. */
    public static byte[] workdirFile(ExecRequest request) {
        return request.workdirOptional().orElse(DEFAULT_WORKDIR).getBytes(StandardCharsets.UTF_8);
    }

    /** The nonce as the task carries it and the statement repeats it: lower-case hex. */
    public static String nonceText(byte[] nonce) {
        requireNonNull(nonce, "nonce is null");
        if (nonce.length < 16 || nonce.length > 64) {
            throw new IllegalArgumentException("nonce must be 16..64 bytes, got " + nonce.length + ": use TaskBinding.newNonce()");
        }
        return HexFormat.of().formatHex(nonce);
    }

    /**
     * The statement an honest guest writes for this exec, from the verifier's side: the digests of what was
     * sent and of the output bytes received, with the dropped counts and exit status given.
     */
    public static ResultStatement expected(byte[] nonce, ExecRequest request, byte[] stdout, byte[] stderr, long stdoutDropped,
                                           long stderrDropped, int exit) {
        requireNonNull(request, "request is null");
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("nonce", nonceText(nonce));
        fields.put("argv", sha256(argvFile(request.command().argv())));
        fields.put("env", sha256(envFile(request.env())));
        fields.put("workdir", sha256(workdirFile(request)));
        fields.put("stdin", sha256(request.stdinSource()));
        fields.put("output-limit", Long.toString(request.policy().outputLimitBytes()));
        fields.put("stdout", sha256(stdout));
        fields.put("stderr", sha256(stderr));
        fields.put("stdout-dropped", Long.toString(stdoutDropped));
        fields.put("stderr-dropped", Long.toString(stderrDropped));
        fields.put("exit", Integer.toString(exit));
        return ResultStatement.of(fields);
    }

    /**
     * Checks a guest's statement against what the verifier sent and received, and names every part that
     * differs. The dropped counts are the guest's to know (those bytes never left the guest): they must equal
     * what the agent reported beside the statement, and a stream with dropped bytes must have delivered
     * exactly {@code output-limit} bytes.
     *
     * @param statement     the statement as the guest sent it
     * @param nonce         this exec's nonce
     * @param request       the request as sent
     * @param stdout        the stdout bytes received
     * @param stderr        the stderr bytes received
     * @param stdoutDropped stdout bytes the result reports as dropped
     * @param stderrDropped stderr bytes the result reports as dropped
     * @param exit          the exit status the result reports
     * @throws ResultMismatchException naming every part that differs
     */
    public static void check(ResultStatement statement, byte[] nonce, ExecRequest request, byte[] stdout, byte[] stderr, long stdoutDropped,
                             long stderrDropped, int exit) {
        requireNonNull(statement, "statement is null");
        if (!statement.fields().keySet().stream().toList().equals(FIELDS)) {
            throw new ResultMismatchException(List.of("the statement's fields are " + statement.fields().keySet() + ", expected " + FIELDS
                    + " in this order"));
        }
        List<String> problems = new ArrayList<>();
        ResultStatement expected = expected(nonce, request, stdout, stderr, stdoutDropped, stderrDropped, exit);
        for (String key : FIELDS) {
            String vouched = statement.get(key);
            String seen = expected.get(key);
            if (!vouched.equals(seen)) {
                problems.add(describe(key, vouched, seen));
            }
        }
        // A guest drops bytes only after forwarding the limit: anything else means bytes went missing on the way.
        long limit = request.policy().outputLimitBytes();
        if (stdoutDropped > 0 && stdout.length != limit) {
            problems.add("stdout: " + stdoutDropped + " bytes were dropped after the limit of " + limit + ", but " + stdout.length + " arrived");
        }
        if (stderrDropped > 0 && stderr.length != limit) {
            problems.add("stderr: " + stderrDropped + " bytes were dropped after the limit of " + limit + ", but " + stderr.length + " arrived");
        }
        if (!problems.isEmpty()) {
            throw new ResultMismatchException(problems);
        }
    }

    private static String describe(String key, String vouched, String seen) {
        return switch (key) {
            case "nonce" -> "nonce differs: the guest vouched for " + vouched + ", this exec's nonce is " + seen + " (a replayed or foreign result)";
            case "argv", "env", "workdir", "stdin" -> key + " digest differs: the guest vouched for " + vouched + ", the host sent " + seen;
            case "stdout", "stderr" -> key + " digest differs: the guest vouched for " + vouched + ", the host received " + seen;
            case "output-limit" -> "output-limit differs: the guest applied " + vouched + ", the policy says " + seen;
            case "exit" -> "exit status differs: the guest vouched for " + vouched + ", the host received " + seen;
            case "stdout-dropped", "stderr-dropped" -> key + " differs: the guest vouched for " + vouched + ", the result says " + seen;
            default -> key + " differs: the guest vouched for " + vouched + ", expected " + seen;
        };
    }

    /** SHA-256 of a task's stdin, read chunk by chunk from its source (never held whole). */
    static String sha256(dev.kavach.api.StdinSource stdin) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            StdinDigest.update(digest, stdin, false);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
