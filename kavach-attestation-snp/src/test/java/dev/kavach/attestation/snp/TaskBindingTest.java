package dev.kavach.attestation.snp;

import dev.kavach.api.ExecRequest;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TaskBindingTest {
    private static final ExecRequest TASK = ExecRequest.of("python3", "-c", "print(1)")
            .withEnv(Map.of("B", "2", "A", "1")).withWorkdir("/work").withStdin("input".getBytes());

    @Test
    void taskDigestIsStableAndIndependentOfEnvOrderAndPolicy() {
        byte[] d = TaskBinding.taskDigest(TASK);
        assertEquals(32, d.length);
        TreeMap<String, String> reversed = new TreeMap<>(java.util.Comparator.reverseOrder());
        reversed.putAll(Map.of("A", "1", "B", "2"));
        ExecRequest same = ExecRequest.of("python3", "-c", "print(1)").withEnv(reversed).withWorkdir("/work").withStdin("input".getBytes())
                .withPolicy(dev.kavach.api.SandboxPolicy.strict()).withTimeout(java.time.Duration.ofSeconds(3));
        assertArrayEquals(d, TaskBinding.taskDigest(same));
    }

    @Test
    void stdinIsHashedFromItsSourceTheSameAsFromMemory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        byte[] input = new byte[3 * 1024 * 1024 + 7];
        new java.util.Random(11).nextBytes(input);
        java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("stdin"), input);
        ExecRequest inMemory = ExecRequest.of("cat").withStdin(input);
        ExecRequest fromFile = ExecRequest.of("cat").withStdin(dev.kavach.api.StdinSource.of(file));
        ExecRequest fromStream = ExecRequest.of("cat").withStdin(dev.kavach.api.StdinSource.of(new java.io.ByteArrayInputStream(input)));
        assertArrayEquals(TaskBinding.taskDigest(inMemory), TaskBinding.taskDigest(fromFile));
        assertArrayEquals(TaskBinding.taskDigest(inMemory), TaskBinding.taskDigest(fromStream), "a stream of unknown length is read whole first");
        byte[] nonce = new byte[32];
        assertEquals(ResultBinding.expected(nonce, inMemory, new byte[0], new byte[0], 0, 0, 0),
                ResultBinding.expected(nonce, fromFile, new byte[0], new byte[0], 0, 0, 0));
    }

    @Test
    void taskDigestMatchesTheDocumentedEncoding() throws Exception {
        ExecRequest r = ExecRequest.of("ab").withEnv(Map.of("K", "v"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes("kavach-task-v1".getBytes());
        out.writeBytes(new byte[] {0, 0, 0, 1, 0, 0, 0, 2, 'a', 'b'});
        out.writeBytes(new byte[] {0, 0, 0, 1, 0, 0, 0, 1, 'K', 0, 0, 0, 1, 'v'});
        out.write(0); // no workdir
        out.writeBytes(new byte[8]); // empty stdin
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(out.toByteArray()), TaskBinding.taskDigest(r));
    }

    @Test
    void everyPartOfTheTaskChangesTheDigestWithoutAmbiguity() {
        byte[] base = TaskBinding.taskDigest(TASK);
        List<ExecRequest> variants = List.of(
                TASK.withStdin("input!".getBytes()),
                TASK.withWorkdir("/work2"),
                TASK.withWorkdir(null),
                TASK.withEnv("C", "3"),
                TASK.withEnv(Map.of("A", "12")),
                ExecRequest.of("python3", "-c", "print(2)").withEnv(TASK.env()).withWorkdir("/work").withStdin("input".getBytes()),
                // Same characters, split differently: length prefixes keep these apart.
                ExecRequest.of("python3", "-cprint(1)").withEnv(TASK.env()).withWorkdir("/work").withStdin("input".getBytes()));
        java.util.Set<String> seen = new java.util.HashSet<>();
        seen.add(HexFormat.of().formatHex(base));
        for (ExecRequest v : variants) {
            assertFalse(!seen.add(HexFormat.of().formatHex(TaskBinding.taskDigest(v))), "collision for " + v);
        }
        assertFalse(java.util.Arrays.equals(TaskBinding.taskDigest(ExecRequest.of("a").withEnv(Map.of("AB", "C"))),
                TaskBinding.taskDigest(ExecRequest.of("a").withEnv(Map.of("A", "BC")))));
    }

    @Test
    void reportDataIsSha512OfNonceThenTaskDigest() throws Exception {
        byte[] nonce = TaskBinding.newNonce();
        assertEquals(32, nonce.length);
        assertFalse(java.util.Arrays.equals(nonce, TaskBinding.newNonce()), "nonces are fresh");
        byte[] digest = TaskBinding.taskDigest(TASK);
        byte[] expected = MessageDigest.getInstance("SHA-512").digest(concat(nonce, digest));
        byte[] reportData = TaskBinding.reportData(nonce, digest);
        assertEquals(64, reportData.length);
        assertArrayEquals(expected, reportData);
        assertThrows(IllegalArgumentException.class, () -> TaskBinding.reportData(new byte[8], digest));
        assertThrows(IllegalArgumentException.class, () -> TaskBinding.reportData(nonce, new byte[31]));
    }

    @Test
    void hostDataIsAJobDigestQemuAccepts() {
        byte[] a = TaskBinding.hostData("job-1", Map.of("policy", "0x30000", "image", "abc"));
        assertEquals(32, a.length);
        assertArrayEquals(a, TaskBinding.hostData("job-1", new TreeMap<>(Map.of("image", "abc", "policy", "0x30000"))));
        assertFalse(java.util.Arrays.equals(a, TaskBinding.hostData("job-2", Map.of("policy", "0x30000", "image", "abc"))));
        String qemu = TaskBinding.qemuHostData(a);
        assertArrayEquals(a, Base64.getDecoder().decode(qemu));
        assertFalse(qemu.contains(","), "no QEMU option escaping needed");
        assertThrows(IllegalArgumentException.class, () -> TaskBinding.qemuHostData(new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> TaskBinding.hostData("", Map.of()));
    }

    @Test
    void aReportCarryingTheBindingPassesAppraisalAndAnotherTaskFails() {
        SyntheticChain c = SyntheticChain.create(SevGeneration.GENOA);
        byte[] nonce = TaskBinding.newNonce();
        byte[] bound = TaskBinding.reportData(nonce, TaskBinding.taskDigest(TASK));
        AttestationReport report = AttestationReport.parse(c.report(bound, 0x30000));
        SnpAttestationVerifier verifier = new SnpAttestationVerifier(new ReportVerifier(SyntheticVerificationTest.NOW, null, c.anchors()));
        assertEquals(true, verifier.verify(report, c.chain(), AppraisalPolicy.builder().reportData(bound).build()).passed());
        byte[] other = TaskBinding.reportData(nonce, TaskBinding.taskDigest(TASK.withStdin(new byte[0])));
        AttestationResult result = verifier.verify(report, c.chain(), AppraisalPolicy.builder().reportData(other).build());
        assertEquals(List.of("policy.report-data"), result.failures().stream().map(dev.kavach.api.Attestation.Check::name).toList());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
