package dev.kavach.attestation.snp;

import dev.kavach.api.ExecRequest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Binds an attestation report to one task. The host picks a fresh {@link #newNonce() nonce} per exec.
 * {@link #hostData(String, Map)} is the 32-byte job digest given to QEMU as {@code sev-snp-guest,host-data=} at
 * launch, which the report repeats as HOST_DATA. The {@code sev} backend's REPORT_DATA is SHA-512 of the
 * guest's {@link ResultStatement}, which binds the nonce, the task and the result ({@link ResultBinding}).
 * {@link #taskDigest(ExecRequest)} and {@link #reportData(byte[], byte[])} (SHA-512(nonce || task digest))
 * bind a report to a task alone, before it runs; {@link TaskAttestation} checks that form.
 *
 * <p>All encodings are length-prefixed (big-endian u32 counts and lengths, u64 for stdin) behind a
 * domain tag, so no two different tasks share an encoding. Stateless; every method is static.
 */
public final class TaskBinding {
    private static final byte[] TASK_TAG = "kavach-task-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JOB_TAG = "kavach-job-v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private TaskBinding() {
    }

    /** 32 fresh random bytes from a {@link SecureRandom}: one per exec, never reused. */
    public static byte[] newNonce() {
        byte[] nonce = new byte[32];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /**
     * SHA-256 over the task: argv (as executed: a shell script is {@code [shell, -c, script]}), the
     * environment sorted by name, the working directory (or its absence) and stdin. The sandbox policy and
     * timeout are not part of it: they are host-side limits, not what the guest runs.
     *
     * @return 32 bytes
     */
    public static byte[] taskDigest(ExecRequest request) {
        requireNonNull(request, "request is null");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(TASK_TAG);
        List<String> argv = request.command().argv();
        u32(out, argv.size());
        for (String arg : argv) {
            string(out, arg);
        }
        Map<String, String> env = new TreeMap<>(request.env());
        u32(out, env.size());
        for (Map.Entry<String, String> e : env.entrySet()) {
            string(out, e.getKey());
            string(out, e.getValue());
        }
        if (request.workdir() == null) {
            out.write(0);
        } else {
            out.write(1);
            string(out, request.workdir());
        }
        MessageDigest sha256 = messageDigest("SHA-256");
        sha256.update(out.toByteArray());
        StdinDigest.update(sha256, request.stdinSource(), true);
        return sha256.digest();
    }

    /**
     * REPORT_DATA for a task: SHA-512(nonce || taskDigest), exactly the 64 bytes the report carries.
     *
     * @param nonce      the host's fresh nonce, 16 to 64 bytes
     * @param taskDigest {@link #taskDigest(ExecRequest)}, 32 bytes
     */
    public static byte[] reportData(byte[] nonce, byte[] taskDigest) {
        requireNonNull(nonce, "nonce is null");
        requireNonNull(taskDigest, "taskDigest is null");
        if (nonce.length < 16 || nonce.length > 64) {
            throw new IllegalArgumentException("nonce must be 16..64 bytes, got " + nonce.length + ": use TaskBinding.newNonce()");
        }
        if (taskDigest.length != 32) {
            throw new IllegalArgumentException("task digest must be 32 bytes (SHA-256), got " + taskDigest.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(nonce);
        out.writeBytes(taskDigest);
        return digest("SHA-512", out.toByteArray());
    }

    /**
     * The 32-byte job digest for QEMU's {@code host-data}: SHA-256 over the job id and the launch facts
     * the host wants the report to vouch for (e.g. {@code "policy" -> "0x30000"}, {@code "image" -> digest}),
     * sorted by name.
     */
    public static byte[] hostData(String jobId, Map<String, String> launchFacts) {
        requireNonNull(jobId, "jobId is null");
        requireNonNull(launchFacts, "launchFacts is null");
        if (jobId.isEmpty()) {
            throw new IllegalArgumentException("jobId must not be empty");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(JOB_TAG);
        string(out, jobId);
        Map<String, String> sorted = new TreeMap<>(launchFacts);
        u32(out, sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            string(out, e.getKey());
            string(out, e.getValue());
        }
        return digest("SHA-256", out.toByteArray());
    }

    /** {@code host-data} as QEMU's {@code sev-snp-guest} object takes it: base64 of exactly 32 bytes. */
    public static String qemuHostData(byte[] hostData) {
        requireNonNull(hostData, "hostData is null");
        if (hostData.length != 32) {
            throw new IllegalArgumentException("host-data must be exactly 32 bytes, got " + hostData.length);
        }
        // Standard base64 has no ',' so the value needs no QEMU option escaping.
        return Base64.getEncoder().encodeToString(hostData);
    }

    private static void u32(ByteArrayOutputStream out, int value) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
    }

    private static void string(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        u32(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static byte[] digest(String algorithm, byte[] data) {
        return messageDigest(algorithm).digest(data);
    }

    private static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }
}
