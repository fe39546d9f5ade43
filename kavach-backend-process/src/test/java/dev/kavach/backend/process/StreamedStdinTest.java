package dev.kavach.backend.process;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.StdinSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stdin from a {@link StdinSource} reaches the command as it reads, never whole in memory. */
class StreamedStdinTest {
    private static ProcessSandboxBackend backend;

    @BeforeAll
    static void start() {
        backend = ProcessSandboxBackend.create(Sandboxes.DEFAULTS);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void anEndlessInputIsCopiedAsReadAndTheTimeoutStillStopsTheCommand() {
        // 8 GiB of zeros would never fit the test JVM's heap: only a streamed copy lets the command count them.
        ExecRequest request = Sandboxes.argv(SandboxPolicy.minimal(), "sh", "-c", "head -c 67108864 | wc -c")
                .withStdin(StdinSource.of(Path.of("/dev/zero")));
        ExecResult counted = backend.exec(request);
        assertEquals("67108864", counted.stdoutText().strip(), counted.stderrText());

        ExecResult endless = backend.exec(Sandboxes.argv(SandboxPolicy.minimal(), "sh", "-c", "cat >/dev/null")
                .withStdin(StdinSource.of(Path.of("/dev/zero"))).withTimeout(Duration.ofSeconds(2)));
        assertEquals(Outcome.TIMED_OUT, endless.outcome());
    }

    @Test
    void anInteractiveProgramSeesEachLineBeforeTheInputEnds() throws Exception {
        PipedOutputStream keyboard = new PipedOutputStream();
        InputStream terminal = new PipedInputStream(keyboard);
        // The command answers the first line only after reading it; the second line is typed only after the
        // answer arrived. With stdin read whole before the start, this would wait forever for the end of input.
        CompletableFuture<String> firstAnswer = new CompletableFuture<>();
        CompletableFuture<ExecResult> run = CompletableFuture.supplyAsync(() -> backend.exec(
                Sandboxes.argv(SandboxPolicy.minimal(), "sh", "-c", "read a; echo got-$a; read b; echo got-$b")
                        .withStdin(StdinSource.of(terminal)).withTimeout(Duration.ofSeconds(60)),
                (stream, data, offset, length) -> {
                    if (new String(data, offset, length, StandardCharsets.UTF_8).contains("got-one")) {
                        firstAnswer.complete("got-one");
                    }
                }));
        keyboard.write("one\n".getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
        assertEquals("got-one", firstAnswer.get(30, TimeUnit.SECONDS));
        keyboard.write("two\n".getBytes(StandardCharsets.UTF_8));
        keyboard.close();
        ExecResult result = run.get(60, TimeUnit.SECONDS);
        assertTrue(result.stdoutText().contains("got-two"), result.toString());
    }

    @Test
    void aFileThatCannotBeOpenedEndsTheInputRatherThanHangingTheRun() throws IOException {
        ExecResult result = backend.exec(Sandboxes.argv(SandboxPolicy.minimal(), "cat")
                .withStdin(StdinSource.of(Path.of("/nonexistent/kavach-stdin"))));
        assertEquals(0, result.exitCode());
    }
}
