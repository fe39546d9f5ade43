package dev.kavach.api;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FilesApiTest {
    @Test
    void pathsAreNormalisedAndKeptInside() {
        assertEquals("a/b", SandboxPaths.normalize("a//./b/", "p"));
        assertEquals("", SandboxPaths.normalize(".", "p"));
        assertEquals("", SandboxPaths.normalize("", "p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SandboxPaths.normalize("a/../../etc", "file to put"))
                .getMessage().contains("'..'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SandboxPaths.normalize("/etc/passwd", "file to put"))
                .getMessage().contains("absolute"));
        assertThrows(IllegalArgumentException.class, () -> SandboxPaths.normalize("a\0b", "p"));
        assertThrows(IllegalArgumentException.class, () -> SandboxPaths.normalize("x".repeat(SandboxPaths.MAX_LENGTH + 1), "p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SandboxPaths.normalizeFile("./", "file to get"))
                .getMessage().contains("working directory itself"));
        assertThrows(IllegalArgumentException.class, () -> SandboxPaths.checkGlob("../*"));
        assertThrows(IllegalArgumentException.class, () -> SandboxPaths.checkGlob(" "));
        assertEquals("out/**.txt", SandboxPaths.checkGlob("out/**.txt"));
    }

    @Test
    void requestsCarryFilesAndGlobsThroughEveryCopy() {
        ExecRequest request = ExecRequest.builder("cat", "in.txt").file("in.txt", "hi".getBytes()).collect("out/*").build();
        assertTrue(request.movesFiles());
        ExecRequest copy = request.withTimeout(java.time.Duration.ofSeconds(3)).withEnv("A", "b").withPolicy(SandboxPolicy.strict());
        assertEquals(request.files(), copy.files());
        assertEquals(List.of("out/*"), copy.collect());
        assertFalse(ExecRequest.of("true").movesFiles());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ExecRequest.builder("true").file("a", new byte[1]).file("./a", new byte[2]).build()).getMessage().contains("twice"));
        assertThrows(IllegalArgumentException.class, () -> FileInput.of("x", new byte[0]).withMode(010000));
    }

    @Test
    @SuppressWarnings("deprecation")
    void compiledPluginsStillBuildTheOldShapes() {
        ExecRequest old = new ExecRequest(new Command.Argv(List.of("true")), null, java.util.Map.of(), null, SandboxPolicy.basic(), null);
        assertEquals(List.of(), old.files());
        ExecResult result = new ExecResult(0, StreamOutput.EMPTY, StreamOutput.EMPTY, java.time.Duration.ZERO, Outcome.COMPLETED, "", List.of(), null);
        assertEquals(List.of(), result.files());
        BackendInfo info = new BackendInfo("x", "X", IsolationKind.NONE, 0, "d");
        assertEquals(Set.of(), info.capabilities());
        assertTrue(info.withCapabilities(Capability.FILES).supports(Capability.FILES));
        assertFalse(info.withCapabilities(Capability.FILES).supports(Capability.SESSIONS));
        assertEquals(SandboxPolicy.DEFAULT_TRANSFER_LIMIT_BYTES, new SandboxPolicy(0, 0, 0, true, false, SeccompProfile.NONE, 1, java.time.Duration.ofSeconds(1), 0, 0).transferLimitBytes());
    }

    @Test
    void resultsSortCollectedFilesAndFindThemByPath() {
        ExecResult result = ExecResult.Builder.completed(0)
                .files(List.of(new CollectedFile("b", new byte[]{2}, 0644), new CollectedFile("./a", new byte[]{1}, 0600))).build();
        assertEquals(List.of("a", "b"), result.files().stream().map(CollectedFile::path).toList());
        assertArrayEquals(new byte[]{1}, result.file("a").orElseThrow().content());
        assertEquals(result.files(), result.toBuilder().build().files());
    }

    @Test
    void contentOpensAsGivenAndAStreamOnlyOnce(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("f"), new byte[]{1, 2, 3});
        assertEquals(3, FileContent.of(file).knownLength().orElseThrow());
        try (InputStream in = FileContent.of(file).open()) {
            assertArrayEquals(new byte[]{1, 2, 3}, in.readAllBytes());
        }
        assertTrue(assertThrows(IOException.class, () -> FileContent.of(dir).open()).getMessage().contains("not a regular file"));
        FileContent stream = FileContent.of(new ByteArrayInputStream(new byte[]{9}));
        assertTrue(stream.knownLength().isEmpty());
        stream.open();
        assertThrows(IllegalStateException.class, stream::open);
        assertArrayEquals(new byte[]{7}, FileContent.of(new byte[]{7}).bytes().orElseThrow());
        assertEquals(file, FileContent.of(file).hostFile().orElseThrow());
    }

    @Test
    void errorsNameTheLimitAndTheBackend() {
        var over = new TransferLimitExceededException("file 'big.bin'", 70L << 20, 64L << 20);
        assertTrue(over.getMessage().contains("file 'big.bin' is over 70 MiB, more than the transfer limit of 64 MiB"), over.getMessage());
        assertTrue(over.fix().contains("kavach.policy.transfer-limit"));
        var unsupported = new CapabilityNotSupportedException("noop", Capability.SESSIONS);
        assertTrue(unsupported.getMessage().startsWith("backend 'noop' does not support sessions"), unsupported.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SandboxPolicy.builder().transferLimitBytes(0).build());
    }
}
