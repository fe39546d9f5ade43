package dev.kavach.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.StreamOutput;
import org.junit.jupiter.api.Test;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How every outcome a backend can report becomes {@code kavach run}'s exit code and note, including the
 * ones the process backend cannot easily be made to produce here (a VM killed for memory, an exit status
 * no process can have).
 */
class ExitStatusTest {
    private static final ExecRequest REQUEST = ExecRequest.of("/bin/true").withTimeout(Duration.ofSeconds(90));

    private static ExecResult result(Outcome outcome, int exitCode, String detail) {
        return new ExecResult(exitCode, StreamOutput.EMPTY, StreamOutput.EMPTY, Duration.ofMillis(5), outcome, detail, List.of(), null);
    }

    private static String[] status(ExecResult result) {
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        int code = RunCommand.exitStatus(result, REQUEST, new PrintStream(notes, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(code), notes.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void killedKeepsTheSignalStatusAndSaysWhy() {
        String[] status = status(result(Outcome.KILLED, 137, "memory limit 64 MiB exceeded: killed by the OOM killer"));
        assertEquals("137", status[0]);
        assertContains(status[1], "kavach: the command was killed: memory limit 64 MiB exceeded");
        assertEquals("137", status(result(Outcome.KILLED, 0, "pids limit"))[0], "a kill never looks like success");
    }

    @Test
    void timedOutIs124WithTheLimitThatApplied() {
        String[] status = status(result(Outcome.TIMED_OUT, 137, ""));
        assertEquals("124", status[0]);
        assertContains(status[1], "timed out after 90s");
    }

    @Test
    void failedToStartIs126Or127() {
        assertEquals("126", status(result(Outcome.FAILED_TO_START, 126, "permission denied"))[0]);
        assertEquals("127", status(result(Outcome.FAILED_TO_START, 127, "not found"))[0]);
        assertEquals("127", status(result(Outcome.FAILED_TO_START, 1, "no such file"))[0]);
    }

    @Test
    void anExitStatusNoProcessCanHaveIsAKavachFailure() {
        String[] status = status(result(Outcome.COMPLETED, 300, ""));
        assertEquals("125", status[0]);
        assertContains(status[1], "300");
    }

    @Test
    void truncationIsNotedForEachStream() {
        ExecResult result = new ExecResult(0, new StreamOutput(new byte[10], 5), new StreamOutput(new byte[3], 7), Duration.ZERO,
                Outcome.COMPLETED, "", List.of(), null);
        String[] status = status(result);
        assertEquals("0", status[0]);
        assertContains(status[1], "stdout was cut at the output limit: 10 bytes kept, 5 dropped");
        assertContains(status[1], "stderr was cut at the output limit: 3 bytes kept, 7 dropped");
    }

    @Test
    void durationsReadTheWayUsersWriteThem() {
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
        assertEquals("30s", Durations.format(Duration.ofSeconds(30)));
        assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
    }
}
