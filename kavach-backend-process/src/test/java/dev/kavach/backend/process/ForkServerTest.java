package dev.kavach.backend.process;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fork server forks every launch (issue 15: no JVM spawn and no launcher shell exec per command), passes
 * arguments and streams through untouched, and never leaves a launch hanging or a file behind.
 */
class ForkServerTest {
    /** Each FIFO end opens on a thread of its own (an open waits for the other side), as the runner's pumps do. */
    private static final java.util.concurrent.ExecutorService THREADS = java.util.concurrent.Executors.newCachedThreadPool();
    /** The fork server turned on (it is off by default). */
    private static final ProcessBackendSettings FORKING = ProcessBackendSettings.from(BackendSettings.of("kavach.backends.process",
            Map.of("fork-server", "true")));
    private static final SandboxPolicy MINIMAL = Sandboxes.minimal(Duration.ofSeconds(60));

    @Test
    void launchesAreForkedByTheServerNotSpawnedFromTheJvm() throws Exception {
        Sandboxes.requireBwrap();
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING)) {
            assertEquals(0, backend.exec(Sandboxes.argv(MINIMAL, "true")).exitCode());
            long server = backend.forkServerPid().orElseThrow(() -> new AssertionError("bash 4.4+ and mkfifo are here: the server must run"));
            List<Long> ancestry = launcherAncestry(backend, "sleep 2");
            assertEquals(server, ancestry.get(2), "bubblewrap's parent is a monitor forked by the fork server: " + ancestry);
        }
    }

    @Test
    void offByDefaultEveryLaunchIsSpawnedFromTheJvm() throws Exception {
        Sandboxes.requireBwrap();
        assertFalse(Sandboxes.DEFAULTS.forkServer());
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(Sandboxes.DEFAULTS)) {
            List<Long> ancestry = launcherAncestry(backend, "sleep 2");
            assertEquals(ProcessHandle.current().pid(), ancestry.get(1), "bubblewrap's parent is the JVM: " + ancestry);
            assertTrue(backend.forkServerPid().isEmpty());
        }
    }

    @Test
    void argumentsAndStreamsPassThroughUntouched() {
        Sandboxes.requireBwrap();
        List<String> args = List.of("a b", "$(id)", "line\nbreak", "'\"\\", "", "*", "-e", "\t", "ünï", "`x`; exit 3");
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "for a; do printf '[%s]' \"$a\"; done; cat; echo err >&2; exit 7", "sh"));
        argv.addAll(args);
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING)) {
            ExecResult result = backend.exec(Sandboxes.argv(MINIMAL, argv.toArray(String[]::new)).withStdin("from stdin\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            StringBuilder expected = new StringBuilder();
            args.forEach(a -> expected.append('[').append(a).append(']'));
            assertEquals(expected + "from stdin\n", result.stdoutText());
            assertEquals("err\n", result.stderrText());
            assertEquals(7, result.exitCode());
            assertTrue(backend.forkServerPid().isPresent(), "it went through the fork server");
        }
    }

    @Test
    void aCommandStartsBeforeItsStreamedInputHasAnyByte() throws Exception {
        Sandboxes.requireBwrap();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        // Input that comes only once the command has shown it runs, as a person at a terminal would type it.
        java.io.InputStream typed = new java.io.InputStream() {
            private final java.io.InputStream line = new java.io.ByteArrayInputStream("hello\n".getBytes());

            @Override
            public int read() throws java.io.IOException {
                try {
                    started.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return line.read();
            }
        };
        dev.kavach.api.OutputListener listener = (stream, data, offset, length) -> {
            if (new String(data, offset, length).contains("started")) {
                started.countDown();
            }
        };
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING)) {
            ExecResult result = backend.exec(Sandboxes.argv(Sandboxes.minimal(Duration.ofSeconds(20)), "sh", "-c", "echo started; read a; echo got-$a")
                    .withStdin(dev.kavach.api.StdinSource.of(typed)), listener);
            assertEquals("started\ngot-hello\n", result.stdoutText(), result.toString());
        }
    }

    @Test
    void concurrentLaunchesKeepTheirOwnStreamsAndStatuses() {
        Sandboxes.requireBwrap();
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING)) {
            List<CompletableFuture<ExecResult>> runs = IntStream.range(0, 40).mapToObj(i -> CompletableFuture.supplyAsync(() -> backend.exec(
                    Sandboxes.argv(MINIMAL, "sh", "-c", "read x; echo out-$x; echo err-$x >&2; exit $(( x % 50 ))").withStdin((i + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8))))).toList();
            for (int i = 0; i < runs.size(); i++) {
                ExecResult result = runs.get(i).join();
                assertEquals("out-" + i + "\n", result.stdoutText(), result.toString());
                assertEquals("err-" + i + "\n", result.stderrText(), result.toString());
                assertEquals(i % 50, result.exitCode());
            }
        }
    }

    @Test
    void aSignalledCommandAndATimeoutAreReportedAsWithADirectSpawn() {
        Sandboxes.requireBwrap();
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING)) {
            assertEquals(128 + 15, backend.exec(Sandboxes.argv(MINIMAL, "sh", "-c", "kill -TERM $$")).exitCode());
            ExecResult slow = backend.exec(Sandboxes.argv(MINIMAL, "sleep", "30").withTimeout(Duration.ofMillis(500)));
            assertEquals(Outcome.TIMED_OUT, slow.outcome(), slow.toString());
            assertTrue(backend.forkServerPid().isPresent());
        }
    }

    @Test
    void closingTheBackendEndsTheServerAndLeavesNoFile() throws Exception {
        Sandboxes.requireBwrap();
        ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING);
        backend.exec(Sandboxes.argv(MINIMAL, "true"));
        ProcessHandle server = ProcessHandle.of(backend.forkServerPid().orElseThrow()).orElseThrow();
        Path dir = backend.privateDirectory();
        try (var files = Files.list(dir)) {
            // Between launches only the batch of unused FIFOs, the seccomp programs and the owner lock are there.
            assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".req") || name.endsWith(".in") || name.endsWith(".out") || name.endsWith(".err")).toList());
        }
        backend.close();
        assertTrue(server.onExit().toCompletableFuture().completeOnTimeout(null, 10, TimeUnit.SECONDS).join() != null || !server.isAlive(),
                "the server ended");
        assertFalse(server.isAlive());
        assertFalse(Files.exists(dir), "the private directory, FIFOs included, is gone");
    }

    @Test
    void aServerThatDiesIsReplacedByDirectSpawnsAndARunningLaunchFailsNamingIt() throws Exception {
        Sandboxes.requireBwrap();
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(FORKING)) {
            backend.exec(Sandboxes.argv(MINIMAL, "true"));
            long server = backend.forkServerPid().orElseThrow();
            String marker = "kavach-lost-" + java.util.UUID.randomUUID();
            CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return backend.exec(Sandboxes.argv(MINIMAL, "sh", "-c", "sleep 30; :", marker));
                } catch (RuntimeException e) {
                    return e;
                }
            });
            ProcessHandle bwrap = awaitLauncher(server);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Sandboxes.liveHostProcessesStartingWith("sh\0-c\0sleep", marker).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // The server's whole process group (server, monitors, bubblewrap) dies at once, as if killed from outside.
            new ProcessBuilder("kill", "-KILL", "--", "-" + server).start().waitFor();
            Object lost = running.get(20, TimeUnit.SECONDS);
            // Gone, or a zombie waiting for the host's init to reap it after its parent died.
            bwrap.onExit().completeOnTimeout(bwrap, 10, TimeUnit.SECONDS).join();
            assertFalse(bwrap.isAlive());
            assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "nothing of the sandbox runs on");
            // Kavach's failure, not an exit status the command never had.
            SandboxException failure = org.junit.jupiter.api.Assertions.assertInstanceOf(SandboxException.class, lost, () -> "" + lost);
            assertTrue(failure.getMessage().contains("the fork server vanished while the launch ran"), failure.getMessage());
            ExecResult after = backend.exec(Sandboxes.argv(MINIMAL, "echo", "still works"));
            assertEquals("still works\n", after.stdoutText(), after.toString());
            assertTrue(backend.forkServerPid().isEmpty(), "the dead server is not used again");
        }
    }

    @Test
    void theCommandStartsWithTheSameSignalDispositionsForkedOrSpawned() throws Exception {
        Sandboxes.requireBwrap();
        ProcessBackendSettings off = ProcessBackendSettings.from(BackendSettings.of("kavach.backends.process", Map.of("fork-server", "false")));
        ExecRequest signals = Sandboxes.argv(MINIMAL, "grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status");
        try (ProcessSandboxBackend forked = ProcessSandboxBackend.create(FORKING); ProcessSandboxBackend spawned = ProcessSandboxBackend.create(off)) {
            String viaServer = forked.exec(signals).stdoutText();
            assertTrue(forked.forkServerPid().isPresent());
            assertEquals(spawned.exec(signals).stdoutText(), viaServer);
            assertTrue(viaServer.startsWith("SigBlk:\t0000000000000000\n"), viaServer);
            // Shells ignore SIGINT and SIGQUIT in asynchronous commands: the fork server must add none of that. (What the
            // JVM itself was started ignoring, e.g. as a background job of a script, every child inherits either way.)
            long jvmIgnores = ignored(Files.readString(Path.of("/proc/self/status")));
            long interesting = (1L << 1) | (1L << 2) | (1L << 14) | (1L << 12); // SIGINT, SIGQUIT, SIGTERM, SIGPIPE
            assertEquals(jvmIgnores & interesting, ignored(viaServer) & interesting, viaServer);
        }
    }

    private static long ignored(String status) {
        return Long.parseLong(status.lines().filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow().substring(7).strip(), 16);
    }

    @Test
    void aLaunchItsServerNeverTookIsCancelledAndNeverRuns(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // A bare server with a launcher step of "skip the status file, exec the rest".
        String step = "shift; exec \"$@\"";
        Map<String, String> env = LaunchPlanner.LAUNCHER_ENV;
        Path status = Files.createFile(dir.resolve("status"));
        Path marker = dir.resolve("ran");
        try (ForkServer server = ForkServer.start(dir, step, env, HostTools.hostPath())) {
            Process ok = server.start(List.of("/bin/sh", "-c", step, "launcher", status.toString(), "/bin/sh", "-c", "cat; echo err >&2; exit 4"),
                    env, Path.of("/"));
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(ok.getInputStream()), THREADS);
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(ok.getErrorStream()), THREADS);
            try (var stdin = ok.getOutputStream()) {
                stdin.write("in\n".getBytes());
            }
            assertEquals(4, ok.waitFor());
            assertEquals("in\n", new String(out.get(10, TimeUnit.SECONDS)));
            assertEquals("err\n", new String(err.get(10, TimeUnit.SECONDS)));

            // The server stops taking requests (stopped), gets one, and dies: the launch ends as a launcher failure.
            ProcessHandle handle = ProcessHandle.of(server.pid()).orElseThrow();
            new ProcessBuilder("kill", "-STOP", Long.toString(server.pid())).start().waitFor();
            Process never = server.start(List.of("/bin/sh", "-c", step, "launcher", status.toString(), "/bin/touch", marker.toString()),
                    env, Path.of("/"));
            CompletableFuture<byte[]> neverOut = CompletableFuture.supplyAsync(() -> readAll(never.getInputStream()), THREADS);
            handle.destroyForcibly();
            assertTrue(never.waitFor(20, TimeUnit.SECONDS), "the launch ended with its server");
            assertEquals(LauncherScript.ERROR_EXIT, never.exitValue());
            assertEquals(0, neverOut.get(10, TimeUnit.SECONDS).length, "its output ends instead of waiting for a writer");
            assertTrue(Files.readString(status).contains(LauncherScript.STATUS_PREFIX + "the fork server did not start the launch"),
                    Files.readString(status));
            Thread.sleep(200);
            assertFalse(Files.exists(marker), "the cancelled command never ran");
            assertFalse(server.usable());
            try (var left = Files.list(dir)) {
                assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.matches("f[0-9]+\\..*")).toList(),
                        "no request or FIFO of either launch is left");
            }
        }
    }

    private static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The pids of the outer bubblewrap of a {@code sh -c script} exec, its parent and its grandparent, read while it
     * runs.
     */
    private static List<Long> launcherAncestry(ProcessSandboxBackend backend, String script) throws Exception {
        String marker = "kavach-fork-" + java.util.UUID.randomUUID();
        CompletableFuture<ExecResult> run = CompletableFuture.supplyAsync(() -> backend.exec(Sandboxes.argv(MINIMAL, "sh", "-c", script, marker)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Long> ancestry = List.of();
        while (ancestry.isEmpty() && System.nanoTime() < deadline) {
            for (ProcessHandle h : ProcessHandle.allProcesses().toList()) {
                Optional<ProcessHandle> parent = h.parent();
                boolean outerBwrap = h.info().command().map(c -> c.endsWith("/bwrap")).orElse(false)
                        && h.info().commandLine().map(c -> c.contains(marker)).orElse(false)
                        && parent.flatMap(p -> p.info().command()).map(c -> !c.endsWith("/bwrap")).orElse(false);
                Optional<ProcessHandle> grandparent = parent.flatMap(ProcessHandle::parent);
                if (outerBwrap && grandparent.isPresent() && h.isAlive()) {
                    ancestry = List.of(h.pid(), parent.get().pid(), grandparent.get().pid());
                    break;
                }
            }
            Thread.sleep(20);
        }
        assertFalse(ancestry.isEmpty(), "no bubblewrap process for " + marker);
        assertEquals(0, run.get(30, TimeUnit.SECONDS).exitCode());
        return ancestry;
    }

    private static ProcessHandle awaitLauncher(long server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> bwrap = ProcessHandle.of(server).stream().flatMap(ProcessHandle::descendants)
                    .filter(h -> h.info().command().map(c -> c.endsWith("/bwrap")).orElse(false)).findFirst();
            if (bwrap.isPresent()) {
                return bwrap.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no bubblewrap below the fork server " + server);
    }
}
