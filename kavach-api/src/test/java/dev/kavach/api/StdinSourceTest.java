package dev.kavach.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StdinSourceTest {
    @Test
    void aFileIsNotReadWhenTheRequestIsMadeOnlyWhenABackendOpensIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("in");
        ExecRequest request = ExecRequest.of("cat").withStdin(StdinSource.of(file)); // does not exist yet: nothing read
        Files.writeString(file, "late");
        assertEquals(Path.of(file.toString()), request.stdinSource().file().orElseThrow());
        assertEquals(OptionalLong.of(4), request.stdinSource().knownLength());
        try (InputStream in = request.stdinSource().open()) {
            assertEquals("late", new String(in.readAllBytes()));
        }
        assertArrayEquals("late".getBytes(), request.stdin(), "old plugins still get the bytes");
    }

    @Test
    void aDeviceHasNoKnownLengthEvenThoughItsSizeReadsZero() {
        StdinSource zero = StdinSource.of(Path.of("/dev/zero"));
        assertEquals(OptionalLong.empty(), zero.knownLength());
        assertTrue(!zero.isEmpty(), "/dev/zero is endless, not empty");
    }

    @Test
    void everyWithKeepsTheSource(@TempDir Path dir) {
        StdinSource source = StdinSource.of(dir.resolve("in"));
        ExecRequest request = ExecRequest.of("cat").withStdin(source).withEnv("A", "1").withWorkdir("/w")
                .withPolicy(SandboxPolicy.strict()).withTimeout(Duration.ofSeconds(3));
        assertSame(source, request.stdinSource());
    }

    @Test
    void theBuilderTakesASourceAndToBuilderKeepsIt(@TempDir Path dir) {
        StdinSource source = StdinSource.of(dir.resolve("in"));
        ExecRequest request = ExecRequest.builder("cat").stdin(source).env("A", "1").build();
        assertSame(source, request.stdinSource());
        assertSame(source, request.toBuilder().timeout(Duration.ofSeconds(1)).build().stdinSource());
        assertArrayEquals(new byte[] {4}, request.toBuilder().stdin(new byte[] {4}).build().stdin(), "bytes replace the source");
    }

    @Test
    void aStreamIsCopiedOnceAndASecondExecIsToldWhy() throws IOException {
        StdinSource stream = StdinSource.of(new ByteArrayInputStream(new byte[] {7}));
        try (InputStream in = stream.open()) {
            assertEquals(7, in.read());
        }
        assertTrue(assertThrows(IllegalStateException.class, stream::open).getMessage().contains("already read"));
    }

    @Test
    void theOldConstructorAndBytesStillWorkAndBothAtOnceIsRefused() {
        ExecRequest old = new ExecRequest(new Command.Argv(java.util.List.of("cat")), new byte[] {1}, Map.of(), null, SandboxPolicy.basic(), null);
        assertEquals(StdinSource.of(new byte[] {1}), old.stdinSource());
        assertTrue(ExecRequest.of("true").stdinSource().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new ExecRequest(new Command.Argv(java.util.List.of("cat")), new byte[] {1},
                Map.of(), null, SandboxPolicy.basic(), null, StdinSource.EMPTY));
    }
}
