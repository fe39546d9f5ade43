package dev.kavach.backend.process;

import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running commands under the {@code minimal} policy: exit codes, streams, stdin, environment, workdir, timeouts. */
class ProcessExecutorTest {
    private static ProcessSandboxBackend backend;

    @BeforeAll
    static void start() {
        backend = ProcessSandboxBackend.create(Sandboxes.DEFAULTS);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static ExecRequest minimal(String... argv) {
        return Sandboxes.argv(SandboxPolicy.minimal(), argv);
    }

    @Test
    void reportsExitCodesAsResultsNotErrors() {
        assertEquals(0, backend.exec(minimal("true")).exitCode());
        ExecResult three = backend.exec(minimal("sh", "-c", "exit 3"));
        assertEquals(3, three.exitCode());
        assertEquals(Outcome.COMPLETED, three.outcome());
        ExecResult signalled = backend.exec(minimal("sh", "-c", "kill -TERM $$"));
        assertEquals(128 + 15, signalled.exitCode());
    }

    @Test
    void keepsStdoutAndStderrApart() {
        ExecResult result = backend.exec(minimal("sh", "-c", "printf out1; printf err1 >&2; printf out2; printf err2 >&2"));
        assertEquals("out1out2", result.stdoutText());
        assertEquals("err1err2", result.stderrText());
    }

    @Test
    void feedsStdinThenClosesIt() {
        byte[] input = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(input);
        // More than a pipe buffer in both directions: a writer that blocks the reader would deadlock here.
        ExecResult result = backend.exec(minimal("cat").withStdin(input));
        assertArrayEquals(input, result.stdout().bytes());
        assertEquals(0, backend.exec(minimal("sh", "-c", "cat >/dev/null")).exitCode(), "an empty stdin is closed at once");
    }

    @Test
    void passesExactlyTheRequestedEnvironmentAndAPath() {
        ExecResult result = backend.exec(minimal("/usr/bin/env").withEnv(Map.of("GREETING", "hello world", "EMPTY", "")));
        Map<String, String> seen = new TreeMap<>();
        result.stdoutText().lines().forEach(line -> seen.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1)));
        String workdir = seen.get("PWD");
        assertEquals(Map.of("GREETING", "hello world", "EMPTY", "", "PATH", Sandboxes.DEFAULTS.defaultPath(), "PWD", workdir), seen,
                "the host environment (HOME, USER, JAVA_HOME...) must not leak; PWD names the working directory");
    }

    @Test
    void inheritsOnlyTheConfiguredHostVariables() {
        Prerequisites.require(System.getenv("PATH") != null, "a PATH in the test environment");
        var settings = ProcessBackendSettings.from(new dev.kavach.api.BackendSettings("kavach.backends.process", Map.of(),
                Map.of("inherit-env", List.of("PATH")), Map.of()));
        try (ProcessSandboxBackend inheriting = ProcessSandboxBackend.create(settings)) {
            ExecResult result = inheriting.exec(minimal("/usr/bin/env"));
            assertEquals(List.of("PATH=" + System.getenv("PATH")),
                    result.stdoutText().lines().filter(line -> !line.startsWith("PWD=")).toList());
        }
    }

    @Test
    void runsInTheRequestedWorkdirOrAPrivateScratchDirectory(@TempDir Path workdir) {
        ExecResult result = backend.exec(minimal("sh", "-c", "pwd; echo made > here.txt").withWorkdir(Sandboxes.giveToSandbox(workdir).toString()));
        assertEquals(workdir.toString(), result.stdoutText().strip());
        assertTrue(Files.exists(workdir.resolve("here.txt")));

        ExecResult scratch = backend.exec(minimal("sh", "-c", "pwd; ls -A | wc -l"));
        List<String> lines = scratch.stdoutText().lines().toList();
        assertFalse(lines.get(0).equals(System.getProperty("user.dir")), "not the host's working directory");
        assertEquals("0", lines.get(1).strip(), "the scratch directory starts empty");
        assertFalse(Files.exists(Path.of(lines.get(0))), "the scratch directory is removed afterwards");
    }

    @Test
    void passesArgvToExecveWithoutAnyShellParsing() {
        ExecResult result = backend.exec(minimal("printf", "%s|", "a b", "$(id)", ";", "*", "'"));
        assertEquals("a b|$(id)|;|*|'|", result.stdoutText());
    }

    @Test
    void reportsAMissingCommandAs127AndANonExecutableOneAs126(@TempDir Path dir) throws Exception {
        ExecResult missing = backend.exec(minimal("kavach-no-such-command-" + UUID.randomUUID()));
        assertEquals(127, missing.exitCode());
        assertEquals(Outcome.FAILED_TO_START, missing.outcome());
        assertTrue(missing.stderrText().contains("not found"), missing.stderrText());

        Path script = Files.writeString(Sandboxes.giveToSandbox(dir).resolve("script.sh"), "#!/bin/sh\necho hi\n");
        ExecResult notExecutable = backend.exec(minimal(script.toString()).withWorkdir(dir.toString()));
        assertEquals(126, notExecutable.exitCode());
        assertEquals(Outcome.FAILED_TO_START, notExecutable.outcome());
    }

    @Test
    void timeoutKillsBackgroundedSetsidAndDoubleForkedDescendants() {
        Sandboxes.requireTool("setsid");
        String marker = "kavach-timeout-" + UUID.randomUUID();
        String script = String.join("\n",
                "sh -c 'sleep 1000; :' " + marker + "-bg &",
                "setsid sh -c 'sleep 1000; :' " + marker + "-setsid &",
                "(setsid sh -c 'sleep 1000; :' " + marker + "-double &)",
                "echo started; sleep 1000");
        ExecResult result = backend.exec(Sandboxes.sh(script, SandboxPolicy.minimal()).withTimeout(Duration.ofSeconds(3)));
        assertEquals(Outcome.TIMED_OUT, result.outcome());
        assertTrue(result.timedOut());
        assertEquals("started\n", result.stdoutText());
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "no descendant survives the timeout");
    }

    @Test
    void fromAVirtualThreadTheTreeStillDies() throws Exception {
        Sandboxes.requireTool("setsid");
        String marker = "kavach-virtual-" + UUID.randomUUID();
        String script = "setsid sh -c 'sleep 1000; :' " + marker + " & (setsid sh -c 'sleep 1000; :' " + marker + " &); sleep 1000";
        ExecRequest request = Sandboxes.sh(script, SandboxPolicy.minimal()).withTimeout(Duration.ofSeconds(3));
        CompletableFuture<ExecResult> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                result.complete(backend.exec(request));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        ExecResult done = result.get(60, TimeUnit.SECONDS);
        assertEquals(Outcome.TIMED_OUT, done.outcome());
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "no descendant survives the timeout");
    }

    @Test
    void whatACommandLeavesRunningDiesWhenItExits() {
        String marker = "kavach-detached-" + UUID.randomUUID();
        ExecResult result = backend.exec(Sandboxes.sh("setsid sh -c 'sleep 1000; :' " + marker + " >/dev/null 2>&1 & echo started",
                SandboxPolicy.minimal()));
        assertEquals(Outcome.COMPLETED, result.outcome());
        assertEquals("started\n", result.stdoutText());
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "the detached sleep outlived its exec");
    }

    @Test
    void findsBareProgramNamesOnTheCommandsOwnPath(@TempDir Path bin) throws Exception {
        // The work directory is the one host directory under /tmp a sandbox sees (its /tmp is private).
        Path tool = Files.writeString(Sandboxes.giveToSandbox(bin).resolve("kavach-test-tool"), "#!/bin/sh\necho \"tool $0 $*\"\n");
        Files.setPosixFilePermissions(tool, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        ExecResult result = backend.exec(minimal("kavach-test-tool", "x").withEnv("PATH", bin + ":/usr/bin:/bin").withWorkdir(bin.toString()));
        assertEquals("tool " + tool + " x\n", result.stdoutText(), result.stderrText());
        assertEquals(127, backend.exec(minimal("kavach-test-tool")).exitCode(), "not on the default PATH");
    }

    @Test
    void commandsOfAKavachProcessThatDiedAreKilledWhenTheNextBackendStarts() throws Exception {
        Prerequisites.require(Sandboxes.FACTS.cgroups().canTrackTree(), "a writable cgroup hierarchy (run as root, as CI does)");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        CgroupHost host = Sandboxes.FACTS.cgroups();
        Path parent = host.v2().map(p -> p.resolve(Sandboxes.DEFAULTS.cgroupParent()))
                .orElseGet(() -> host.v1().values().iterator().next().resolve(Sandboxes.DEFAULTS.cgroupParent()));
        Path orphanGroup = Files.createDirectories(parent.resolve("k" + gone.pid() + "-1"));
        Process orphan = new ProcessBuilder("sleep", "1000").start();
        Files.writeString(orphanGroup.resolve("cgroup.procs"), Long.toString(orphan.pid()));
        ProcessSandboxBackend.create(Sandboxes.DEFAULTS).close();
        assertTrue(orphan.waitFor(10, TimeUnit.SECONDS), "the orphaned command was killed");
        assertFalse(Files.exists(orphanGroup), "and its group removed");
    }

    @Test
    void boundsOutputButKeepsDrainingAndCountsWhatWasDropped() {
        long total = 50L * 1024 * 1024;
        long limit = 64 * 1024;
        SandboxPolicy policy = SandboxPolicy.minimal().withOutputLimitBytes(limit).withTimeout(Duration.ofMinutes(2));
        ExecResult result = backend.exec(Sandboxes.argv(policy, "sh", "-c", "head -c " + total + " /dev/zero; echo done >&2"));
        assertEquals(Outcome.COMPLETED, result.outcome(), "the writer was never blocked, so it finished instead of timing out");
        assertEquals(0, result.exitCode());
        assertEquals(limit, result.stdout().size());
        assertEquals(total - limit, result.stdout().droppedBytes());
        assertTrue(result.stdout().truncated());
        assertEquals("done\n", result.stderrText(), "stderr has its own limit and is not truncated");
        assertFalse(result.stderr().truncated());
    }

    @Test
    void streamsOutputToTheListenerWhileTheCommandRuns(@TempDir Path dir) throws Exception {
        CountDownLatch firstSeen = new CountDownLatch(1);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        Path go = dir.resolve("go");
        // The command cannot finish until the test saw its first line: only real streaming passes.
        ExecRequest request = Sandboxes.sh("echo first; while [ ! -e go ]; do sleep 0.05; done; echo second", SandboxPolicy.minimal())
                .withWorkdir(Sandboxes.giveToSandbox(dir).toString()).withTimeout(Duration.ofSeconds(60));
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> backend.exec(request, (stream, data, offset, length) -> {
            if (stream == StdStream.STDOUT) {
                synchronized (streamed) {
                    streamed.write(data, offset, length);
                }
                firstSeen.countDown();
            }
        }));
        assertTrue(firstSeen.await(30, TimeUnit.SECONDS), "the first line never reached the listener while the command ran");
        Files.createFile(go);
        ExecResult result = running.get(60, TimeUnit.SECONDS);
        assertEquals(Outcome.COMPLETED, result.outcome());
        assertEquals("first\nsecond\n", result.stdoutText());
        synchronized (streamed) {
            assertEquals("first\nsecond\n", streamed.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void concurrentExecsStayIndependent() throws Exception {
        List<CompletableFuture<ExecResult>> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = "run-" + i;
            SandboxPolicy policy = i % 2 == 0 ? SandboxPolicy.minimal() : SandboxPolicy.basic();
            runs.add(CompletableFuture.supplyAsync(() -> backend.exec(Sandboxes.argv(policy, "sh", "-c", "cat; echo \" $0\"", name)
                    .withStdin(name.getBytes(StandardCharsets.UTF_8)))));
        }
        for (int i = 0; i < runs.size(); i++) {
            assertEquals("run-" + i + " run-" + i + "\n", runs.get(i).get(60, TimeUnit.SECONDS).stdoutText());
        }
    }

    @Test
    void aListenerThatKeepsNothingInTheResultGetsEverything() {
        long total = 5L * 1024 * 1024;
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
        dev.kavach.api.OutputListener counting = new dev.kavach.api.OutputListener() {
            @Override
            public void onOutput(StdStream stream, byte[] data, int offset, int length) {
                received.addAndGet(length);
            }

            @Override
            public boolean keepInResult() {
                return false;
            }
        };
        ExecResult result = backend.exec(Sandboxes.argv(SandboxPolicy.minimal().withOutputLimitBytes(0), "head", "-c", Long.toString(total), "/dev/zero"), counting);
        assertEquals(total, received.get());
        assertEquals(0, result.stdout().size(), "the result keeps nothing: memory stays bounded");
        assertFalse(result.stdout().truncated());
    }

    @Test
    void dryRunShowsTheExactArgvEndingInTheCommandAsGiven() {
        List<String> argv = backend.commandLine(Sandboxes.argv(SandboxPolicy.basic(), "printf", "%s", "a b")).orElseThrow();
        assertEquals(List.of("--", "printf", "%s", "a b"), argv.subList(argv.size() - 4, argv.size()));
        List<String> minimal = backend.commandLine(minimal("printf", "%s", "a b")).orElseThrow();
        assertEquals(List.of("--", "printf", "%s", "a b"), minimal.subList(minimal.size() - 4, minimal.size()));
        assertTrue(minimal.contains("--new-session"), "every preset runs in a new session: " + minimal);
        List<String> script = backend.commandLine(new ExecRequest(new Command.ShellScript("echo $HOME"), null, Map.of(), null,
                SandboxPolicy.minimal(), null)).orElseThrow();
        assertEquals(List.of("/bin/sh", "-c", "echo $HOME"), script.subList(script.size() - 3, script.size()));
        assertTrue(Arrays.asList(LauncherScript.SCRIPT.split("\n")).stream().noneMatch(line -> line.contains("echo $HOME")));
    }
}
