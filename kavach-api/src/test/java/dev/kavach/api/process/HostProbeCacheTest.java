package dev.kavach.api.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each case starts with an empty in-memory store, so that it sees what a fresh {@code kavach} process sees. */
class HostProbeCacheTest {
    private final AtomicInteger asked = new AtomicInteger();

    @AfterEach
    void forget() {
        HostProbeCache.forgetInMemory();
    }

    private Optional<String> ask(HostProbeCache cache, List<String> question, Path program, String answer) {
        return cache.answer(question, List.of(program), () -> {
            asked.incrementAndGet();
            return Optional.ofNullable(answer);
        });
    }

    @Test
    void aNextRunGetsTheAnswerWithoutAskingTheHost(@TempDir Path dir) throws Exception {
        Path program = Files.writeString(dir.resolve("tool"), "v1");
        Path store = dir.resolve("store");
        assertEquals(Optional.of("tool 1.0"), ask(HostProbeCache.in(store), List.of("tool", "--version"), program, "tool 1.0"));
        HostProbeCache.forgetInMemory(); // a new process
        assertEquals(Optional.of("tool 1.0"), ask(HostProbeCache.in(store), List.of("tool", "--version"), program, "never asked"));
        assertEquals(1, asked.get());
        try (Stream<Path> files = Files.list(store)) {
            Path file = files.filter(f -> f.toString().endsWith(".probe")).findFirst().orElseThrow();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store)));
    }

    @Test
    void aChangedProgramOrQuestionIsAskedAgain(@TempDir Path dir) throws Exception {
        Path program = Files.writeString(dir.resolve("tool"), "v1");
        Path store = dir.resolve("store");
        ask(HostProbeCache.in(store), List.of("tool", "--version"), program, "tool 1.0");
        Files.writeString(program, "version two"); // an upgrade: size, times and so the key change
        HostProbeCache.forgetInMemory();
        assertEquals(Optional.of("tool 2.0"), ask(HostProbeCache.in(store), List.of("tool", "--version"), program, "tool 2.0"));
        assertEquals(Optional.of("other"), ask(HostProbeCache.in(store), List.of("tool", "--help"), program, "other"));
        assertEquals(3, asked.get());
        // Even within one process: the in-memory answer is keyed by the program's identity too.
        Files.writeString(program, "version three!");
        assertEquals(Optional.of("tool 3.0"), ask(HostProbeCache.in(store), List.of("tool", "--version"), program, "tool 3.0"));
        assertEquals(4, asked.get());
    }

    @Test
    void aMissingProgramThatAppearsIsAskedAgain(@TempDir Path dir) {
        Path program = dir.resolve("tool");
        ask(HostProbeCache.in(dir.resolve("store")), List.of("q"), program, "absent answer");
        HostProbeCache.forgetInMemory();
        try {
            Files.writeString(program, "installed");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(Optional.of("installed answer"), ask(HostProbeCache.in(dir.resolve("store")), List.of("q"), program, "installed answer"));
        assertEquals(2, asked.get());
    }

    @Test
    void aFailedProbeIsNotRemembered(@TempDir Path dir) throws Exception {
        Path program = Files.writeString(dir.resolve("tool"), "v1");
        HostProbeCache cache = HostProbeCache.in(dir.resolve("store"));
        assertEquals(Optional.empty(), ask(cache, List.of("trial"), program, null));
        assertEquals(Optional.of("works"), ask(cache, List.of("trial"), program, "works"));
        assertEquals(2, asked.get(), "a transient failure must not stick");
    }

    @Test
    void aCorruptLooseOrLinkedFileIsIgnoredAndReplaced(@TempDir Path dir) throws Exception {
        Path program = Files.writeString(dir.resolve("tool"), "v1");
        Path store = dir.resolve("store");
        ask(HostProbeCache.in(store), List.of("q"), program, "first");
        Path file;
        try (Stream<Path> files = Files.list(store)) {
            file = files.filter(f -> f.toString().endsWith(".probe")).findFirst().orElseThrow();
        }

        Files.writeString(file, "key=something else\nanswer=forged\n"); // another key's answer, or garbage
        HostProbeCache.forgetInMemory();
        assertEquals(Optional.of("second"), ask(HostProbeCache.in(store), List.of("q"), program, "second"));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-")); // others could have written it
        HostProbeCache.forgetInMemory();
        assertEquals(Optional.of("third"), ask(HostProbeCache.in(store), List.of("q"), program, "third"));

        Path elsewhere = Files.copy(file, dir.resolve("elsewhere.probe"));
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-------"));
        Files.delete(file);
        Files.createSymbolicLink(file, elsewhere); // a link to a file with the right key is still not trusted
        HostProbeCache.forgetInMemory();
        assertEquals(HostProbeCache.read(elsewhere, HostProbeCache.key(List.of("q"), List.of(program))), Optional.of("third"));
        assertEquals(Optional.of("fourth"), ask(HostProbeCache.in(store), List.of("q"), program, "fourth"));
        assertEquals(4, asked.get());
        assertTrue(Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the link was replaced by a file of its own");
    }

    @Test
    void theKeyHoldsTheHostsIdentity(@TempDir Path dir) throws Exception {
        String key = HostProbeCache.key(List.of("bwrap", "--version"), List.of(Files.writeString(dir.resolve("bwrap"), "x")));
        assertTrue(key.contains("\nuid "), key);
        assertTrue(key.contains("\nkernel " + Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip() + "\n"), key);
        assertTrue(key.contains("\nboot " + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip() + "\n"), key);
        assertTrue(key.contains(" ino=") && key.contains(" mtime=") && key.contains(" ctime=") && key.contains(" size=1 "), key);
    }

    @Test
    void theUsersDirectoryFollowsXdgAndCanBeTurnedOff() {
        assertEquals(Optional.of(Path.of("/x/cache/kavach/host-probes")),
                HostProbeCache.userDirectory(Map.of("XDG_CACHE_HOME", "/x/cache", "HOME", "/home/u")));
        assertEquals(Optional.of(Path.of("/home/u/.cache/kavach/host-probes")),
                HostProbeCache.userDirectory(Map.of("XDG_CACHE_HOME", "relative/is/ignored", "HOME", "/home/u")));
        assertEquals(Optional.empty(), HostProbeCache.userDirectory(Map.of("KAVACH_HOST_PROBE_CACHE", "off", "HOME", "/home/u")));
    }
}
