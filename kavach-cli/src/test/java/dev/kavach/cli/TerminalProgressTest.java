package dev.kavach.cli;

import dev.kavach.api.Progress;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progress drawn in place on a terminal, and none when stderr is not one. */
class TerminalProgressTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicLong now = new AtomicLong();
    private final TerminalProgress progress = new TerminalProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get);

    private String drawn() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTaskIsRedrawnInPlaceAndLeavesOneLineWhenDone() {
        try (Progress.Task task = progress.start("downloading linux-image", 200)) {
            assertEquals("\r\033[Kdownloading linux-image: 0% (0.0 s)", drawn());
            now.addAndGet(50_000_000L);
            task.advance(50);
            assertFalse(drawn().contains("25%"), "redrawn at most every 100 ms");
            now.addAndGet(100_000_000L);
            task.advance(50);
            assertTrue(drawn().endsWith("\r\033[Kdownloading linux-image: 50% (0.2 s)"), drawn());
            now.addAndGet(1_000_000_000L);
        }
        assertTrue(drawn().endsWith("\r\033[Kdownloading linux-image: done in 1.2 s\n"), drawn());
    }

    @Test
    void anUnknownTotalShowsTheUnitsDoneAndControlCharactersNeverReachTheTerminal() {
        try (Progress.Task task = progress.start("building\u001b[31m image", 0)) {
            now.addAndGet(200_000_000L);
            task.advance(3);
            assertTrue(drawn().endsWith("building?[31m image: 3 (0.2 s)"), drawn());
            task.close();
            task.close();
        }
        assertEquals(1, drawn().split("done in", -1).length - 1, "closing twice reports once");
    }

    @Test
    void stderrThatIsNotATerminalShowsNothing() {
        // Under the build, stderr is a pipe or a file.
        assertFalse(TerminalProgress.isTerminal(2));
        assertEquals(Progress.none(), TerminalProgress.forStderr(System.err));
    }
}
