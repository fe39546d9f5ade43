package dev.kavach.backend.process;

import dev.kavach.api.process.OwnedDirectory;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.Outcome;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12 §2: a session's directory is the sandbox's only writable host place, and every trap a sandboxed
 * command can set between execs (a link to /etc or to another session, a FIFO, a hard link, a device, a
 * directory it locked) is refused or undone by the host side, never followed.
 */
class ProcessSessionTest {
    private static ProcessSandboxBackend backend;

    @BeforeAll
    static void start() {
        backend = ProcessSandboxBackend.create(Sandboxes.DEFAULTS);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static SandboxPolicy policy() {
        return Sandboxes.withoutUnenforceableLimits(SandboxPolicy.basic());
    }

    private static ExecResult run(ProcessSession session, String script) {
        return session.exec(Sandboxes.sh(script, policy()), OutputListener.NONE);
    }

    private static String text(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theSessionDirectoryIsPrivateAndOwnedByTheSandboxUid() throws IOException {
        Sandboxes.requireBwrap();
        try (ProcessSession session = backend.openSession(policy())) {
            Path dir = session.directory();
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            ExecResult made = run(session, "echo hi > f; id -u; pwd");
            List<String> lines = made.stdoutText().lines().toList();
            assertEquals(dir.toString(), lines.get(1), "the command starts in the session directory");
            long uid = (Integer) Files.getAttribute(dir.resolve("f"), "unix:uid", LinkOption.NOFOLLOW_LINKS);
            assertTrue(Sandboxes.isSandboxUid(uid), "the file belongs to the sandbox's uid: " + uid);
            assertEquals(uid, (long) (Integer) Files.getAttribute(dir, "unix:uid"), "so does the directory");
            session.put(FileInput.of("put", new byte[]{1}));
            assertEquals(uid, (long) (Integer) Files.getAttribute(dir.resolve("put"), "unix:uid", LinkOption.NOFOLLOW_LINKS),
                    "a put file belongs to the sandbox too, so that the command may change it");
            assertEquals(0, run(session, "echo more >> put && rm f").exitCode());
        }
    }

    @Test
    void underStrictTheSessionDirectoryIsTheOnlyWritableHostPlace() throws IOException {
        Sandboxes.requireBwrap();
        Path outside = Sandboxes.hostDir("kavach-strict-outside");
        Sandboxes.giveToSandbox(outside);
        SandboxPolicy strict = Sandboxes.withoutUnenforceableLimits(SandboxPolicy.strict());
        try (ProcessSession session = backend.openSession(strict)) {
            String script = "for d in /etc /usr /var/lib /root " + outside + "; do touch $d/kavach-w 2>/dev/null && echo wrote $d; done; "
                    + "touch ./here && echo here; touch /tmp/t && echo tmp; touch ../kavach-w && echo parent";
            ExecResult result = session.exec(Sandboxes.sh(script, strict), OutputListener.NONE);
            assertEquals("here\ntmp\nparent\n", result.stdoutText(), result.stderrText());
            assertFalse(Files.exists(session.directory().resolveSibling("kavach-w")),
                    "the session directory's parent inside is the private /tmp, not the host's sessions directory");
            assertTrue(Files.exists(session.directory().resolve("here")));
            try (var left = Files.list(outside)) {
                assertEquals(List.of(), left.toList(), "nothing was written to the host directory outside");
            }
        } finally {
            OwnedDirectory.deleteTree(outside);
        }
    }

    @Test
    void linksTheCommandPlantsBetweenExecsAreNeverFollowed() throws IOException {
        Sandboxes.requireBwrap();
        try (ProcessSession victim = backend.openSession(policy()); ProcessSession attacker = backend.openSession(policy())) {
            victim.put(FileInput.of("secret", "victim's".getBytes()));
            Path other = victim.directory();
            ExecResult planted = run(attacker, "ln -s /etc/passwd pw; ln -s /etc etc; ln -s " + other + " other; ln -s " + other
                    + "/secret theirs; mkdir d; ln -s ../../../../../../etc d/up; cat " + other + "/secret; echo tried");
            assertEquals("tried\n", planted.stdoutText(), "the other session's directory is not visible inside: " + planted);
            String passwd = Files.readString(Path.of("/etc/passwd"));
            for (String path : List.of("pw", "etc/passwd", "other/secret", "theirs", "d/up/passwd")) {
                SandboxException e = assertThrows(SandboxException.class, () -> text(attacker.get(path)), path);
                assertTrue(e.getMessage().contains("symbolic link"), path + ": " + e.getMessage());
            }
            assertThrows(SandboxException.class, () -> attacker.list("etc"));
            assertThrows(SandboxException.class, () -> attacker.list("other"));
            assertThrows(SandboxException.class, () -> attacker.put(FileInput.of("other/secret", "overwritten".getBytes())));
            assertThrows(SandboxException.class, () -> attacker.put(FileInput.of("etc/kavach-escape", new byte[1])));
            attacker.put(FileInput.of("theirs", "mine".getBytes()));
            attacker.put(FileInput.of("pw", "mine".getBytes()));
            assertEquals("victim's", text(victim.get("secret")), "the other session's file is untouched");
            assertEquals(passwd, Files.readString(Path.of("/etc/passwd")), "/etc/passwd is untouched");
            assertFalse(Files.exists(Path.of("/etc/kavach-escape")));
            assertEquals("mine", text(attacker.get("pw")), "put replaced the link itself");
            ExecResult collected = attacker.exec(Sandboxes.sh("ln -s /etc/hostname host; ln -s " + other + " again; true", policy())
                    .withCollect(List.of("**")), OutputListener.NONE);
            assertEquals(List.of("pw", "theirs"), collected.files().stream().map(f -> f.path()).toList(),
                    "only regular files are collected; links to files or directories outside are not followed: " + collected.files());
        }
    }

    @Test
    void aFifoADeviceAndAHardLinkAreRefusedWithoutBlocking() {
        Sandboxes.requireBwrap();
        try (ProcessSession session = backend.openSession(policy())) {
            ExecResult made = run(session, "mkfifo fifo; echo data > a; ln a b; ln /etc/passwd hard 2>&1; mknod dev c 1 3 2>&1; "
                    + "mkdir sub; mkfifo sub/f; true");
            assertFalse(made.stdoutText().isEmpty(), "link and mknod said why they failed: " + made);
            assertFalse(Files.exists(session.directory().resolve("hard"), LinkOption.NOFOLLOW_LINKS),
                    "a hard link to a file outside its bind mount cannot be made (EXDEV): " + made.stdoutText());
            assertFalse(Files.exists(session.directory().resolve("dev"), LinkOption.NOFOLLOW_LINKS),
                    "an unprivileged sandbox cannot make a device node: " + made.stdoutText());
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                SandboxException fifo = assertThrows(SandboxException.class, () -> text(session.get("fifo")));
                assertTrue(fifo.getMessage().contains("not a regular file"), fifo.getMessage());
                SandboxException linked = assertThrows(SandboxException.class, () -> text(session.get("a")));
                assertTrue(linked.getMessage().contains("2 hard links"), linked.getMessage());
                ExecResult collected = session.exec(Sandboxes.sh("true", policy()).withCollect(List.of("sub/*")), OutputListener.NONE);
                assertEquals(List.of(), collected.files(), "a FIFO is skipped, never opened");
            }, "opening a FIFO must not block the JVM");
            FileEntry fifo = session.list("").stream().filter(e -> e.name().equals("fifo")).findFirst().orElseThrow();
            assertEquals(FileEntry.Type.OTHER, fifo.type());
            assertThrows(SandboxException.class, () -> session.put(FileInput.of("sub", new byte[1])), "a directory is not replaced by a file");
        }
    }

    @Test
    void closingRemovesTheDirectoryWhateverTheCommandDidToIt() throws Exception {
        Sandboxes.requireBwrap();
        ProcessSession session = backend.openSession(policy());
        Path dir = session.directory();
        run(session, "mkdir -p locked/deep; echo x > locked/deep/f; chmod 000 locked/deep; chmod 000 locked; echo y > ro; chmod 000 ro; "
                + "chmod 500 .; (sleep 1000 &) ; true");
        String marker = "kavach-session-close-" + UUID.randomUUID();
        CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
            try {
                return session.exec(new ExecRequest(new dev.kavach.api.Command.Argv(List.of("sh", "-c", "sleep 1000; :", marker)), null,
                        java.util.Map.of(), null, policy().withTimeout(Duration.ofMinutes(5)), null), OutputListener.NONE);
            } catch (RuntimeException e) {
                return e;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Sandboxes.liveHostProcessesWith(marker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        session.close();
        Object ended = running.get(60, TimeUnit.SECONDS);
        ExecResult stopped = assertInstanceOf(ExecResult.class, ended, () -> "the running exec returns a result: " + ended);
        assertEquals(Outcome.KILLED, stopped.outcome(), stopped.toString());
        assertTrue(stopped.detail().contains("the session was closed"), stopped.detail());
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "nothing of the session runs on");
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS), "the session directory is gone");
        assertThrows(dev.kavach.api.SandboxStateException.class, () -> session.list(""));
    }

    @Test
    void removalUndoesLockedDirectoriesForANonRootOwnerToo() throws IOException {
        // The same removal as above, on the host alone: a normal user cannot enter a directory it made 000.
        Path dir = Files.createTempDirectory("kavach-removal");
        Path locked = Files.createDirectories(dir.resolve("a/b"));
        Files.writeString(locked.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("etc"), Path.of("/etc"));
        Files.setAttribute(locked, "unix:mode", 0);
        Files.setAttribute(dir.resolve("a"), "unix:mode", 0);
        Files.setAttribute(dir, "unix:mode", 0500);
        assertTrue(OwnedDirectory.deleteTree(dir));
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isDirectory(Path.of("/etc")), "a link is removed, never followed");
    }

    @Test
    void aSingleExecWithFilesUsesADirectoryThatEndsWithIt() throws IOException {
        Sandboxes.requireBwrap();
        Path sessions;
        try (var roots = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            sessions = roots.filter(p -> p.getFileName().toString().startsWith(SessionDirectories.PREFIX + ProcessHandle.current().pid() + "-"))
                    .filter(p -> Files.isDirectory(p)).findFirst().orElseThrow();
        }
        ExecResult result = backend.exec(Sandboxes.sh("cat in; echo out > out.txt", policy())
                .withFiles(List.of(FileInput.of("in", "given\n".getBytes()))).withCollect(List.of("*.txt")));
        assertEquals("given\n", result.stdoutText(), result.stderrText());
        assertEquals("out\n", new String(result.file("out.txt").orElseThrow().content()));
        try (var left = Files.list(sessions)) {
            assertEquals(List.of(), left.filter(p -> !p.getFileName().toString().equals(ProcessSandboxBackend.OWNER_LOCK)).toList(),
                    "the exec's directory is gone");
        }
        SandboxException absolute = assertThrows(SandboxException.class, () -> backend.exec(Sandboxes.sh("true", policy())
                .withWorkdir("/srv").withCollect(List.of("*"))));
        assertTrue(absolute.getMessage().contains("workdir /srv"), absolute.getMessage());
    }

    @Test
    void aRelativeWorkdirIsADirectoryInsideTheSession() {
        Sandboxes.requireBwrap();
        try (ProcessSession session = backend.openSession(policy())) {
            run(session, "mkdir -p sub/dir; ln -s /etc link");
            ExecResult inside = session.exec(Sandboxes.sh("pwd", policy()).withWorkdir("sub/dir"), OutputListener.NONE);
            assertEquals(session.directory().resolve("sub/dir") + "\n", inside.stdoutText(), inside.stderrText());
            assertThrows(SandboxException.class, () -> session.exec(Sandboxes.sh("pwd", policy()).withWorkdir("link"), OutputListener.NONE));
            assertThrows(SandboxException.class, () -> session.exec(Sandboxes.sh("pwd", policy()).withWorkdir("/etc"), OutputListener.NONE));
        }
    }

    @Test
    void theSessionsOfAKavachThatDiedAreSweptByTheNextStart() throws IOException {
        // What a kill -9 leaves: a sessions directory whose owner.lock nobody holds any more.
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path dead = Files.createTempDirectory(tmp, SessionDirectories.PREFIX + "999999999-");
        Files.createFile(dead.resolve(ProcessSandboxBackend.OWNER_LOCK));
        Path locked = Files.createDirectories(dead.resolve("s1/deep"));
        Files.setAttribute(locked, "unix:mode", 0);
        try (ProcessSession mine = backend.openSession(policy())) {
            ProcessSandboxBackend.create(Sandboxes.DEFAULTS).close();
            assertFalse(Files.exists(dead, LinkOption.NOFOLLOW_LINKS), "the dead owner's sessions were removed");
            assertTrue(Files.isDirectory(mine.directory()), "a live owner's session is kept");
        }
    }
}
