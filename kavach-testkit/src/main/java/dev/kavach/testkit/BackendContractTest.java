package dev.kavach.testkit;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.Capability;
import dev.kavach.api.CollectedFile;
import dev.kavach.api.FileContent;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.TransferLimitExceededException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.KavachException;
import dev.kavach.api.Outcome;
import dev.kavach.api.OutputListener;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract every Kavach backend keeps, as a JUnit 5 test to extend:
 *
 * <pre>{@code
 * class MyBackendContractTest extends BackendContractTest {
 *     protected BackendProvider provider() { return new MyBackendProvider(); }
 *     protected Optional<SandboxPolicy> unenforceablePolicy() { return Optional.of(SandboxPolicy.strict()); }
 * }
 * }</pre>
 *
 * It checks exit codes (the command's own, and FAILED_TO_START with 127 apart from a program's own 127),
 * separate streams, stdin, streaming, timeouts (the whole tree stops, a parent shell that respawns its
 * child included), output bounds, refusal of an unenforceable policy before anything starts, and closing.
 * Commands are POSIX shell scripts run as {@code /bin/sh -c}, with {@code head}, {@code cat} and
 * {@code sleep}. Override the hooks to fit the backend; a backend that is unavailable on this host
 * is skipped, except under {@code CI=true}, where that fails.
 *
 * <p>A backend that declares {@link Capability#SESSIONS} or {@link Capability#FILES} is checked for them too:
 * put and get round trips (binary bytes and modes), listing, state kept across a session's execs, files in
 * and out of a single exec, transfer limits that fail naming the limit instead of truncating, paths and
 * symbolic links that would lead outside the working directory refused, and a closed session's state gone.
 * The checks of a capability the backend does not declare are skipped with a message.
 */
public abstract class BackendContractTest {
    /** A short timeout for the timeout checks; long enough for a slow sandbox to start the shell. */
    protected static final Duration SHORT_TIMEOUT = Duration.ofSeconds(3);

    private SandboxBackend backend;

    /** The backend under test. */
    protected abstract BackendProvider provider();

    /**
     * A policy this backend cannot enforce on this host (it must then throw
     * {@link PolicyNotEnforceableException} before the command starts), or empty when it enforces
     * every policy: then that check is skipped with a message.
     */
    protected abstract Optional<SandboxPolicy> unenforceablePolicy();

    /** The backend's settings, keys relative to {@code kavach.backends.<id>}. Default: none. */
    protected BackendSettings settings() {
        return BackendSettings.empty("kavach.backends." + provider().id());
    }

    /** The policy the contract's commands run under; one the backend enforces here. Default: {@code minimal}. */
    protected SandboxPolicy policy() {
        return SandboxPolicy.minimal();
    }

    /**
     * Whether commands run as processes of this host, so that the kit can check on the host that a timed-out
     * tree is gone and that a refused command left no file behind. False for VMs. Default: true.
     */
    protected boolean runsOnHost() {
        return true;
    }

    /** Called with the backend before each test, e.g. to start it differently. Default: {@link SandboxBackend#start()}. */
    protected void start(SandboxBackend backend) {
        backend.start();
    }

    /** The backend made for the current test. */
    protected final SandboxBackend backend() {
        return backend;
    }

    @BeforeEach
    final void createBackend(@TempDir Path stateDir) {
        BackendProvider provider = provider();
        BackendContext context = new BackendContext(provider.id(), settings(), stateDir, "0.1.0");
        Availability availability = assertDoesNotThrow(() -> provider.probe(context), "probe must report, never throw");
        if (!availability.available()) {
            String why = provider.id() + " is unavailable here: " + availability;
            if ("true".equals(System.getenv("CI"))) {
                fail(why + " (CI=true: a contract that cannot run fails)");
            }
            Assumptions.abort(why);
        }
        backend = provider.create(context);
        start(backend);
    }

    @AfterEach
    final void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    /** A request for {@code /bin/sh -c script} under {@link #policy()}. */
    protected ExecRequest.Builder shell(String script) {
        return ExecRequest.builder("/bin/sh", "-c", script).policy(policy());
    }

    @Test
    public void theExitCodeIsTheCommandsOwn() {
        ExecResult failed = backend.exec(shell("exit 3").build());
        assertEquals(Outcome.COMPLETED, failed.outcome(), failed.detail());
        assertEquals(3, failed.exitCode());
        assertFalse(failed.succeeded());
        ExecResult ok = backend.exec(shell("exit 0").build());
        assertTrue(ok.succeeded(), ok.detail());
    }

    @Test
    public void aMissingProgramFailsToStartWhileAProgramsOwn127Completes() {
        ExecResult missing = backend.exec(ExecRequest.builder("kavach-contract-no-such-program").policy(policy()).build());
        assertEquals(Outcome.FAILED_TO_START, missing.outcome(), "a program that is not found fails to start");
        assertEquals(127, missing.exitCode());
        assertFalse(missing.detail().isEmpty(), "a failed start says why");
        ExecResult own = backend.exec(shell("exit 127").build());
        assertEquals(Outcome.COMPLETED, own.outcome(), "a program's own 127 is a completed command");
        assertEquals(127, own.exitCode());
    }

    @Test
    public void stdoutAndStderrAreSeparate() {
        ExecResult result = backend.exec(shell("echo out; echo err >&2").build());
        assertEquals("out\n", result.stdoutText());
        assertEquals("err\n", result.stderrText());
    }

    @Test
    public void stdinReachesTheCommandAndIsClosed() {
        ExecResult result = backend.exec(ExecRequest.builder("/bin/sh", "-c", "cat").stdin("fed\n".getBytes()).policy(policy()).build());
        assertEquals("fed\n", result.stdoutText());
        assertEquals(Outcome.COMPLETED, result.outcome(), "cat saw the end of its input");
    }

    @Test
    public void theListenerGetsExactlyTheKeptOutput() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OutputListener listener = (stream, data, offset, length) -> {
            synchronized (this) {
                (stream == StdStream.STDOUT ? out : err).write(data, offset, length);
            }
        };
        ExecResult result = backend.exec(shell("echo one; echo two >&2; echo three").build(), listener);
        assertArrayEquals(result.stdout().bytes(), out.toByteArray());
        assertArrayEquals(result.stderr().bytes(), err.toByteArray());
        assertEquals("one\nthree\n", result.stdoutText());
    }

    @Test
    public void outputBeyondTheLimitIsDrainedCountedAndDropped() {
        long limit = 4096;
        SandboxPolicy bounded = policy().toBuilder().outputLimitBytes(limit).build();
        ExecResult result = backend.exec(shell("head -c 3000000 /dev/zero; echo done >&2").policy(bounded).build());
        assertEquals(Outcome.COMPLETED, result.outcome(), "the command never blocks on a full pipe: " + result.detail());
        assertEquals(limit, result.stdout().size());
        assertEquals(3_000_000 - limit, result.stdout().droppedBytes());
        assertTrue(result.stdout().truncated());
        assertEquals("done\n", result.stderrText(), "each stream has its own limit");
    }

    @Test
    public void aTimeoutStopsTheWholeTreeEvenARespawningParent() {
        // The parent ignores TERM and restarts its child whenever it dies; both print their pids.
        String script = "trap '' TERM; echo $$; while :; do sleep 1000 & echo $!; wait $!; done";
        ExecResult result = backend.exec(shell(script).timeout(SHORT_TIMEOUT).build());
        assertEquals(Outcome.TIMED_OUT, result.outcome(), result.detail());
        assertTrue(result.timedOut());
        if (runsOnHost()) {
            List<Long> pids = result.stdoutText().lines().map(Long::parseLong).toList();
            assertFalse(pids.isEmpty(), "the shell ran");
            for (long pid : pids) {
                assertFalse(ProcessHandle.of(pid).map(KitProcesses::running).orElse(false), "pid " + pid + " survived the timeout");
            }
        }
    }

    @Test
    public void anUnenforceablePolicyIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
        Optional<SandboxPolicy> unenforceable = unenforceablePolicy();
        Assumptions.assumeTrue(unenforceable.isPresent(), provider().id() + " enforces every policy here: nothing to refuse");
        Path marker = dir.resolve("started");
        ExecRequest request = ExecRequest.builder("/bin/sh", "-c", "echo > \"$0\"", marker.toString()).policy(unenforceable.get()).build();
        PolicyNotEnforceableException refused = assertThrows(PolicyNotEnforceableException.class, () -> backend.exec(request));
        assertFalse(refused.getMessage().isBlank(), "the refusal says what cannot be enforced");
        if (runsOnHost()) {
            assertFalse(Files.exists(marker), "the command started although its policy was refused");
        }
    }

    @Test
    public void closeStopsRunningCommandsAndIsIdempotent() throws Exception {
        CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
            try {
                return backend.exec(shell("sleep 1000").timeout(Duration.ofMinutes(5)).build());
            } catch (KavachException e) {
                return e;
            }
        });
        Thread.sleep(500); // let it start; a close before the start is fine too
        backend.close();
        Object ended = running.get(60, TimeUnit.SECONDS); // a close that left it running would hang here
        assertTrue(ended instanceof ExecResult result ? !result.succeeded() : ended instanceof KavachException,
                "the command was stopped by close: " + ended);
        assertDoesNotThrow(backend::close, "close is idempotent");
        assertThrows(KavachException.class, () -> backend.exec(shell("true").build()), "a closed backend takes no work");
    }

    // Sessions and files (run when the backend declares the capability) --------------------------------------------

    private void requireCapability(Capability capability) {
        Assumptions.assumeTrue(provider().info().supports(capability),
                provider().id() + " does not declare " + capability + ": its checks do not apply");
    }

    /** Runs {@code check} in a new session under {@link #policy()} (or {@code policy}), closing it afterwards. */
    private <T> T inSession(SandboxPolicy policy, Function<SandboxSession, T> check) {
        requireCapability(Capability.SESSIONS);
        try (SandboxSession session = backend.openSession(policy)) {
            return check.apply(session);
        }
    }

    private static byte[] read(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError("reading a file from the session failed: " + e, e);
        }
    }

    private ExecResult run(SandboxSession session, String script) {
        ExecResult result = session.exec(shell(script).build(), OutputListener.NONE);
        assertEquals(0, result.exitCode(), "'" + script + "' failed: " + result.stderrText() + result.detail());
        return result;
    }

    @Test
    public void aSessionPutsAndGetsBinaryFilesWithTheirMode() {
        byte[] all = new byte[256 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        inSession(policy(), session -> {
            session.put(new FileInput("dir/sub/bytes.bin", FileContent.of(all), 0640));
            session.put(FileInput.of("run.sh", "#!/bin/sh\necho ran \"$1\"\n".getBytes()).withMode(0755));
            session.put(new FileInput("streamed.bin", FileContent.of(new ByteArrayInputStream(all)), 0600));
            assertArrayEquals(all, read(session.get("dir/sub/bytes.bin")), "bytes come back exactly");
            assertArrayEquals(all, read(session.get("./streamed.bin")), "a streamed file comes back exactly");
            FileEntry entry = session.list("dir/sub").stream().filter(e -> e.name().equals("bytes.bin")).findFirst()
                    .orElseThrow(() -> new AssertionError("list does not show bytes.bin"));
            assertEquals(FileEntry.Type.FILE, entry.type());
            assertEquals(all.length, entry.size());
            assertEquals(0640, entry.mode() & 0777, "the mode is kept: " + Integer.toOctalString(entry.mode()));
            ExecResult ran = run(session, "./run.sh arg; ls -l dir/sub/bytes.bin | cut -c1-10");
            assertEquals("ran arg\n-rw-r-----\n", ran.stdoutText(), "the command sees the files with their modes");
            session.put(FileInput.of("run.sh", "replaced".getBytes()));
            assertEquals("replaced", new String(read(session.get("run.sh"))), "put replaces a file");
            return null;
        });
    }

    @Test
    public void aSessionKeepsItsWorkingDirectoryAcrossExecs() {
        inSession(policy(), session -> {
            run(session, "echo one > a.txt; mkdir -p out/deep; echo x > out/deep/x");
            ExecResult second = run(session, "cat a.txt; echo two >> a.txt; pwd");
            assertTrue(second.stdoutText().startsWith("one\n"), "the second exec sees the first one's file: " + second.stdoutText());
            assertEquals("one\ntwo\n", new String(read(session.get("a.txt"))));
            List<FileEntry> root = session.list("");
            assertEquals(List.of("a.txt", "out"), root.stream().map(FileEntry::name).toList(), "list is sorted by name: " + root);
            assertEquals(FileEntry.Type.DIRECTORY, root.get(1).type());
            assertEquals(List.of("x"), session.list("out/deep").stream().map(FileEntry::name).toList());
            return null;
        });
    }

    @Test
    public void aSingleExecPlacesFilesAndCollectsOutputGlobs() {
        requireCapability(Capability.FILES);
        ExecResult result = backend.exec(shell("mkdir out; tr a-z A-Z < in/text > out/up.txt; echo log > out/skip.log; "
                + "head -c 3 /dev/zero > out/zero.txt; exit 3")
                .files(List.of(FileInput.of("in/text", "hello".getBytes()))).collect(List.of("out/*.txt")).build());
        assertEquals(3, result.exitCode(), "the command ran: " + result.stderrText() + result.detail());
        assertEquals(List.of("out/up.txt", "out/zero.txt"), result.files().stream().map(CollectedFile::path).toList(),
                "only what the glob matches, also after a failed command");
        assertEquals("HELLO", new String(result.file("out/up.txt").orElseThrow().content()));
        assertArrayEquals(new byte[3], result.file("out/zero.txt").orElseThrow().content());
    }

    @Test
    public void transfersOverTheLimitFailNamingItAndNeverTruncate() {
        long limit = 1024;
        SandboxPolicy small = policy().toBuilder().transferLimitBytes(limit).build();
        inSession(small, session -> {
            TransferLimitExceededException put = assertThrows(TransferLimitExceededException.class,
                    () -> session.put(FileInput.of("big", new byte[2048])));
            assertEquals(limit, put.limitBytes());
            assertTrue(put.getMessage().contains("transfer limit"), put.getMessage());
            assertThrows(TransferLimitExceededException.class,
                    () -> session.put(new FileInput("streamed", FileContent.of(new ByteArrayInputStream(new byte[2048])), 0644)));
            assertEquals(List.of(), session.list("").stream().map(FileEntry::name).toList(), "nothing is left behind");
            session.put(FileInput.of("exact", new byte[(int) limit]));
            assertEquals(limit, read(session.get("exact")).length, "a file of exactly the limit moves");
            run(session, "head -c 2000 /dev/zero > made");
            TransferLimitExceededException get = assertThrows(TransferLimitExceededException.class, () -> read(session.get("made")));
            assertEquals(limit, get.limitBytes());
            return null;
        });
        if (provider().info().supports(Capability.FILES)) {
            TransferLimitExceededException collect = assertThrows(TransferLimitExceededException.class, () -> backend.exec(
                    shell("head -c 700 /dev/zero > a.out; head -c 700 /dev/zero > b.out").policy(small).collect(List.of("*.out")).build()));
            assertEquals(limit, collect.limitBytes());
            assertThrows(TransferLimitExceededException.class, () -> backend.exec(shell("true").policy(small)
                    .files(List.of(FileInput.of("a", new byte[700]), FileInput.of("b", new byte[700]))).build()));
        }
    }

    @Test
    public void pathsAndLinksLeadingOutsideTheWorkingDirectoryAreRefused() {
        inSession(policy(), session -> {
            for (String path : List.of("../etc/passwd", "/etc/passwd", "a/../../etc/passwd")) {
                RuntimeException e = assertThrows(RuntimeException.class, () -> read(session.get(path)), path);
                assertTrue(e instanceof IllegalArgumentException || e instanceof KavachException, path + ": " + e);
                assertThrows(RuntimeException.class, () -> session.list(path), path);
            }
            run(session, "ln -s /etc/passwd pw; ln -s / root; mkdir d; ln -s ../.. d/up");
            assertThrows(KavachException.class, () -> read(session.get("pw")), "a link to a file outside is not followed");
            assertThrows(KavachException.class, () -> read(session.get("root/etc/passwd")), "a link to a directory outside is not followed");
            assertThrows(KavachException.class, () -> session.list("root"));
            assertThrows(KavachException.class, () -> session.list("d/up"));
            assertThrows(KavachException.class, () -> session.put(FileInput.of("root/tmp/kavach-contract-escape", new byte[1])));
            FileEntry link = session.list("").stream().filter(e -> e.name().equals("pw")).findFirst().orElseThrow();
            assertEquals(FileEntry.Type.SYMLINK, link.type(), "list reports a link as a link");
            session.put(FileInput.of("pw", "mine".getBytes()));
            assertEquals("mine", run(session, "cat pw").stdoutText(), "put replaces the link itself, never what it points at");
            return null;
        });
    }

    @Test
    public void sessionsAreSeparateAndAClosedOnesStateIsGone() {
        requireCapability(Capability.SESSIONS);
        try (SandboxSession first = backend.openSession(policy()); SandboxSession second = backend.openSession(policy())) {
            first.put(FileInput.of("secret", "first".getBytes()));
            run(first, "echo made > made");
            assertEquals(List.of(), second.list(""), "another session sees nothing of the first");
            first.close();
            assertDoesNotThrow(first::close, "close is idempotent");
            assertThrows(KavachException.class, () -> first.exec(shell("true").build(), OutputListener.NONE), "a closed session takes no work");
        }
        inSession(policy(), session -> {
            assertEquals(List.of(), session.list(""), "a new session starts empty");
            return null;
        });
    }
}
