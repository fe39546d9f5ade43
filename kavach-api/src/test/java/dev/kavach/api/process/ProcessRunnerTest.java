package dev.kavach.api.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.OutputListener;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kavach.api.StdinSource;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessRunnerTest {
    private final ProcessRunner runner = ProcessRunner.create();

    private ExecResult exec(ExecRequest request) {
        return runner.exec(request, OutputListener.NONE, CommandWrapper.NONE);
    }

    private static ExecRequest.Builder shell(String script) {
        return ExecRequest.builder("/bin/sh", "-c", script).policy(SandboxPolicy.minimal());
    }

    @Test
    void exitCodesAndSeparateStreams() {
        ExecResult result = exec(shell("echo out; echo err >&2; exit 3").build());
        assertEquals(Outcome.COMPLETED, result.outcome());
        assertEquals(3, result.exitCode());
        assertEquals("out\n", result.stdoutText());
        assertEquals("err\n", result.stderrText());
        assertTrue(result.enforcement().stream().anyMatch(e -> e.limit().equals(Enforcement.TIMEOUT)), result.enforcement().toString());
        assertEquals(128 + 15, exec(shell("kill -TERM $$").build()).exitCode(), "a signal n is 128 + n");
    }

    @Test
    void aProgramsOwn127IsCompletedWhileAMissingProgramFailsToStart(@TempDir Path dir) throws Exception {
        ExecResult own = exec(shell("exit 127").build());
        assertEquals(Outcome.COMPLETED, own.outcome());
        assertEquals(127, own.exitCode());

        Path marker = dir.resolve("ran");
        ExecResult missing = exec(ExecRequest.builder("kavach-no-such-program", marker.toString()).policy(SandboxPolicy.minimal()).build());
        assertEquals(Outcome.FAILED_TO_START, missing.outcome());
        assertEquals(127, missing.exitCode());
        assertTrue(missing.detail().contains("command not found"), missing.detail());
        assertTrue(missing.stderrText().startsWith("kavach: kavach-no-such-program"), missing.stderrText());

        Path notExecutable = Files.writeString(dir.resolve("script"), "#!/bin/sh\ntouch " + marker + "\n");
        Files.setPosixFilePermissions(notExecutable, PosixFilePermissions.fromString("rw-r--r--"));
        ExecResult denied = exec(ExecRequest.builder(notExecutable.toString()).policy(SandboxPolicy.minimal()).build());
        assertEquals(Outcome.FAILED_TO_START, denied.outcome());
        assertEquals(126, denied.exitCode());
        assertTrue(denied.detail().contains("not executable"), denied.detail());

        ExecResult directory = exec(ExecRequest.builder(dir.toString()).policy(SandboxPolicy.minimal()).build());
        assertEquals(126, directory.exitCode());
        assertEquals(Outcome.FAILED_TO_START, directory.outcome());
        assertFalse(Files.exists(marker), "nothing ran");
    }

    @Test
    void stdinIsFedAndClosedAndAnEarlyCloseIsNoError() {
        assertEquals("hello", exec(ExecRequest.builder("cat").stdin("hello".getBytes()).policy(SandboxPolicy.minimal()).build()).stdoutText());
        byte[] large = new byte[4 * 1024 * 1024];
        ExecResult head = exec(ExecRequest.builder("head", "-c", "3").stdin(large).policy(SandboxPolicy.minimal()).build());
        assertEquals(Outcome.COMPLETED, head.outcome());
        assertEquals(3, head.stdout().size());
        assertEquals("", exec(ExecRequest.builder("cat").policy(SandboxPolicy.minimal()).build()).stdoutText(), "no stdin is end of file");
    }

    @Test
    void streamedStdinReachesTheCommand() throws Exception {
        RunReport report = runner.run(Launch.builder(List.of("/bin/cat")).stdin(new ByteArrayInputStream("streamed".getBytes())).build());
        assertEquals("streamed", report.stdout().text());
    }

    @Test
    void theFeederGivesAnInteractiveProgramEachLineBeforeTheNextIsWritten() throws Exception {
        // The program answers each line; the next line is written only once the answer arrived. A feeder that
        // left a short line in the process's buffered stdin until 8 KiB gathered would stall here forever.
        for (boolean asStdinSource : List.of(false, true)) {
            PipedOutputStream keyboard = new PipedOutputStream();
            PipedInputStream terminal = new PipedInputStream(keyboard);
            Process answering = new ProcessBuilder("/bin/sh", "-c", "while read l; do echo got $l; done").start();
            BufferedReader answers = new BufferedReader(new InputStreamReader(answering.getInputStream(), StandardCharsets.UTF_8));
            try {
                if (asStdinSource) {
                    StdinFeeder.feed(answering.getOutputStream(), StdinSource.of(terminal), Executors.newVirtualThreadPerTaskExecutor());
                } else {
                    StdinFeeder.feed(answering.getOutputStream(), terminal, Executors.newVirtualThreadPerTaskExecutor());
                }
                for (String line : List.of("one", "two", "three")) {
                    keyboard.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    keyboard.flush();
                    CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                        try {
                            return answers.readLine();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    // Generous: the machine may be busy. Without a flush per chunk no answer ever comes.
                    assertEquals("got " + line, answer.completeOnTimeout("(no answer while the input stayed open)", 60, TimeUnit.SECONDS)
                            .get(), "source: " + (asStdinSource ? "StdinSource" : "InputStream"));
                }
                keyboard.close();
                assertTrue(answering.waitFor(60, TimeUnit.SECONDS), "the end of the input reached the program");
                assertEquals(0, answering.exitValue());
            } finally {
                answering.destroyForcibly(); // ends a pending readLine: the pipe's writer is gone
            }
        }
    }

    @Test
    void aLaunchStreamsStdinToAnInteractiveProgram() throws Exception {
        PipedOutputStream keyboard = new PipedOutputStream();
        PipedInputStream terminal = new PipedInputStream(keyboard);
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        Launch launch = Launch.builder(List.of("/bin/sh", "-c", "while read l; do echo got $l; done")).stdin(terminal)
                .timeout(Duration.ofMinutes(5)).listener((stream, data, offset, length) -> {
                    if (stream == StdStream.STDOUT) {
                        answers.add(new String(data, offset, length, StandardCharsets.UTF_8));
                    }
                }).build();
        CompletableFuture<RunReport> run = CompletableFuture.supplyAsync(() -> {
            try {
                return runner.run(launch);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        StringBuilder seen = new StringBuilder();
        for (String line : List.of("one", "two")) {
            keyboard.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            while (!seen.toString().endsWith("got " + line + "\n")) {
                String answer = answers.poll(60, TimeUnit.SECONDS);
                assertNotNull(answer, "no answer to '" + line + "' while the input stayed open; saw: " + seen);
                seen.append(answer);
            }
        }
        keyboard.close();
        RunReport report = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, report.exitCode());
        assertEquals("got one\ngot two\n", report.stdout().text());
    }

    @Test
    void stdinFromARequestsSourceIsStreamedAndAMissingFileEndsTheInput(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("in"), "from a file");
        assertEquals("from a file", exec(ExecRequest.builder("cat").stdin(StdinSource.of(file)).policy(SandboxPolicy.minimal()).build()).stdoutText());
        ExecResult missing = exec(ExecRequest.builder("cat").stdin(StdinSource.of(dir.resolve("absent"))).policy(SandboxPolicy.minimal()).build());
        assertEquals(Outcome.COMPLETED, missing.outcome());
        assertEquals("", missing.stdoutText(), "the command saw end of file");
    }

    @Test
    void aFloodIsDrainedCountedAndBoundedPerStream() {
        long limit = 64 * 1024;
        List<Long> delivered = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecRequest request = shell("head -c 20000000 /dev/zero; head -c 1000 /dev/zero >&2")
                .policy(SandboxPolicy.minimal().toBuilder().outputLimitBytes(limit).build()).build();
        ExecResult result = runner.exec(request, (stream, data, offset, length) -> {
            if (stream == StdStream.STDOUT) {
                delivered.add((long) length);
            }
        }, CommandWrapper.NONE);
        assertEquals(Outcome.COMPLETED, result.outcome(), "the command never blocked on a full pipe");
        assertEquals(0, result.exitCode());
        assertEquals(limit, result.stdout().size());
        assertEquals(20_000_000 - limit, result.stdout().droppedBytes());
        assertTrue(result.stdout().truncated());
        assertEquals(1000, result.stderr().size(), "streams are bounded separately");
        assertFalse(result.stderr().truncated());
        assertEquals(limit, delivered.stream().mapToLong(Long::longValue).sum(), "the listener gets exactly the kept bytes");
    }

    @Test
    void theEnvironmentIsTheRequestsPlusPathAndPwd(@TempDir Path dir) {
        ExecResult result = exec(ExecRequest.builder("env").env("A", "1").workdir(dir.toString()).policy(SandboxPolicy.minimal()).build());
        List<String> lines = result.stdoutText().lines().sorted().toList();
        assertEquals(List.of("A=1", "PATH=" + CommandEnvironment.DEFAULT_PATH, "PWD=" + dir), lines);
        assertEquals(Map.of("PATH", "/x", "PWD", "/y"), CommandEnvironment.of(Map.of("PATH", "/x", "PWD", "/y"), dir), "the request's win");
    }

    @Test
    void aTimeoutKillsARespawningParentShellAndAllItsChildren(@TempDir Path dir) throws Exception {
        Path pids = dir.resolve("pids");
        // The parent ignores TERM and restarts its child whenever the child dies: killing children first
        // would only feed it. Every pid is recorded so that the test can prove none is left.
        String script = "trap '' TERM; echo $$ >> " + pids + "; while :; do sleep 1000 & echo $! >> " + pids + "; wait $!; done";
        ExecResult result = exec(shell(script).timeout(Duration.ofSeconds(3)).build());
        assertEquals(Outcome.TIMED_OUT, result.outcome());
        assertTrue(result.timedOut());
        assertEquals(137, result.exitCode());
        assertTrue(result.detail().contains("timed out after 3s"), result.detail());
        List<Long> recorded = Files.readAllLines(pids).stream().map(Long::parseLong).toList();
        assertTrue(recorded.size() >= 2, "the shell and its child ran: " + recorded);
        for (long pid : recorded) {
            assertFalse(ProcStat.running(pid), "pid " + pid + " survived the timeout");
        }
    }

    @Test
    void whatACommandLeavesRunningAfterItExitsIsKilled(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("pid");
        ExecResult result = exec(shell("sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > " + pid).build());
        assertEquals(Outcome.COMPLETED, result.outcome());
        long background = Long.parseLong(Files.readString(pid).strip());
        assertFalse(ProcStat.running(background), "the background sleep outlived its exec");
    }

    @Test
    void aWrapperPutsTheLauncherBeforeTheResolvedProgram() {
        ExecResult result = runner.exec(ExecRequest.builder("echo", "a b").policy(SandboxPolicy.minimal()).build(), OutputListener.NONE,
                CommandWrapper.prefix(List.of("/usr/bin/env", "--")));
        assertEquals("a b\n", result.stdoutText());
    }

    @Test
    void theTreeKillAloneFreezesAndKillsTopDown() throws Exception {
        Process shell = new ProcessBuilder("/bin/sh", "-c", "trap '' TERM; while :; do sleep 1000 & wait $!; done").start();
        AtomicLong child = new AtomicLong();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (child.get() == 0 && System.nanoTime() < deadline) {
            shell.descendants().findFirst().ifPresent(handle -> child.set(handle.pid()));
            Thread.sleep(10);
        }
        assertTrue(child.get() > 0, "the shell started its child");
        TreeKillReport report = TreeKill.topDown().kill(shell.toHandle(), -1);
        assertTrue(report.clean(), "survivors: " + report.survivors());
        assertEquals(shell.pid(), report.killed().get(0), "the parent is frozen and killed first");
        assertTrue(report.killed().contains(child.get()), report.killed().toString());
        assertFalse(ProcStat.running(child.get()));
    }

    @Test
    void procStatReadsNamesWithSpacesAndParentheses() {
        ProcStat stat = ProcStat.parse(42, "42 (a) b (c) S 7 42 42 0 -1 4194560");
        assertEquals('S', stat.state());
        assertEquals(7, stat.ppid());
        assertEquals(42, stat.pgrp());
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheDraining() {
        ExecResult result = runner.exec(shell("head -c 300000 /dev/zero").build(), (stream, data, offset, length) -> {
            throw new IllegalStateException("listener broke");
        }, CommandWrapper.NONE);
        assertEquals(Outcome.COMPLETED, result.outcome());
        assertEquals(300000, result.stdout().size());
        assertTrue(result.detail().contains("listener broke"), result.detail());
    }

    @Test
    void runReportsFactsForABackendToClassify() throws Exception {
        RunReport report = runner.run(Launch.builder(List.of("/bin/sh", "-c", "printf x; exit 5")).build());
        assertEquals(5, report.exitCode());
        assertArrayEquals("x".getBytes(), report.stdout().bytes());
        assertFalse(report.timedOut());
        assertTrue(report.treeKill().clean());
    }

    @Test
    void closeKillsRunningTreesAndRefusesNewWork() throws Exception {
        ProcessRunner closing = ProcessRunner.create();
        java.util.concurrent.CompletableFuture<ExecResult> running = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> closing.exec(shell("sleep 1000").timeout(Duration.ofMinutes(5)).build(), OutputListener.NONE, CommandWrapper.NONE));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // generous: the machine may be busy
        while (closing.runningCount() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        closing.close();
        ExecResult result = running.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(Outcome.KILLED, result.outcome());
        assertTrue(result.detail().contains("closed"), result.detail());
        closing.close();
        org.junit.jupiter.api.Assertions.assertThrows(dev.kavach.api.SandboxStateException.class,
                () -> closing.exec(shell("true").build(), OutputListener.NONE, CommandWrapper.NONE));
    }
}
