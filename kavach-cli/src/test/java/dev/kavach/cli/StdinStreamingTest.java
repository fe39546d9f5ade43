package dev.kavach.cli;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code -i} and {@code --stdin}: the command reads its input as it arrives, never after Kavach read it all. */
class StdinStreamingTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120) // before streaming, Kavach waited for the end of stdin here forever
    void interactiveInputReachesTheCommandLineByLine() throws IOException {
        PipedOutputStream keyboard = new PipedOutputStream();
        PipedInputStream terminal = new PipedInputStream(keyboard);
        keyboard.write("one\n".getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
        // The second line is typed only once the command answered the first: had Kavach waited for the end of
        // its stdin before starting the command, this run would never end.
        Cli cli = new Cli(dir).stdin(terminal).onOutput("got-one", () -> {
            keyboard.write("two\n".getBytes(StandardCharsets.UTF_8));
            keyboard.close();
        });
        Cli.Result result = cli.run("run", "--backend", "process", "-i", "--timeout", "60s",
                "--shell", "read a; echo got-$a; read b; echo got-$b");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("got-one\ngot-two\n", result.stdout());
    }

    @Test
    @Timeout(120)
    void stdinDashStreamsToo() throws IOException {
        PipedOutputStream keyboard = new PipedOutputStream();
        PipedInputStream terminal = new PipedInputStream(keyboard);
        keyboard.write("ping\n".getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
        Cli.Result result = new Cli(dir).stdin(terminal).onOutput("pong-ping", keyboard::close)
                .run("run", "--backend", "process", "--stdin", "-", "--timeout", "60s", "--shell", "read a; echo pong-$a; cat");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("pong-ping\n", result.stdout());
    }

    @Test
    void anEndlessStdinFileEndsInATimeoutNotInKavachsMemory() {
        Cli.Result result = new Cli(dir).run("run", "--backend", "process", "--stdin", "/dev/zero", "--timeout", "2s",
                "--shell", "cat >/dev/null");
        assertEquals(124, result.exitCode(), result::toString);
        assertContains(result.stderr(), "timed out after 2s");
    }

    @Test
    void aLargeFileIsCountedByTheCommandWithoutBeingRead() throws IOException {
        Path big = dir.resolve("big");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(256L * 1024 * 1024); // sparse: no disk used
        }
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        java.nio.file.Files.setPosixFilePermissions(big, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result result = new Cli(dir).run("run", "--backend", "process", "--stdin", big.toString(), "--", "/usr/bin/wc", "-c");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals(String.valueOf(256L * 1024 * 1024), result.stdout().strip());
    }
}
