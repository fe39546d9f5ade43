package dev.kavach.cli;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Wrong usage is named exactly, on one line, with the right exit code: 125 for {@code kavach run} (whose other
 * codes are the command's own), 2 for the other commands; never a stack trace.
 */
class UsageErrorsTest {
    @TempDir
    Path dir;

    private Cli.Result run(String... args) {
        return new Cli(dir).run(args);
    }

    private static void assertOneLineError(Cli.Result result, int exitCode, String... parts) {
        assertEquals(exitCode, result.exitCode(), result::toString);
        String first = result.stderr().lines().findFirst().orElse("");
        for (String part : parts) {
            assertContains(first, part);
        }
        assertFalse(result.stderr().contains("\tat "), () -> "no stack trace: " + result);
        assertFalse(result.stderr().toLowerCase(java.util.Locale.ROOT).contains("bug"), () -> "a user's value is no bug: " + result);
    }

    @Test
    void aRunUsageErrorIsFoundBeforeKavachLoads() throws java.io.IOException {
        // A configuration that cannot load: had Kavach been loaded before run checked its flags, this error would
        // be all the user saw (and a plain line, refused by the fast path, loaded Kavach twice before the report).
        java.nio.file.Files.writeString(dir.resolve("kavach.conf"), "kavach.timeout = soon\n");
        Cli.Result put = run("run", "--put", "no-such-file", "--", "/bin/true");
        assertOneLineError(put, 125, "--put", "'no-such-file' is no such file");
        assertFalse(put.stderr().contains("kavach.timeout"), put::toString);
        Cli.Result workdir = run("run", "--workdir", "", "--", "/bin/true");
        assertOneLineError(workdir, 125, "workdir must be a non-empty path");
        assertFalse(workdir.stderr().contains("kavach.timeout"), workdir::toString);
        Cli.Result get = run("run", "--get", ":out", "--", "/bin/true");
        assertOneLineError(get, 125, "--get");
        assertFalse(get.stderr().contains("kavach.timeout"), get::toString);
        // With good flags the configuration's own error is what is reported.
        assertOneLineError(run("run", "--", "/bin/true"), 125, "kavach.timeout");
    }

    @Test
    void anUnknownRunFlagIsNamed() {
        assertOneLineError(run("run", "--frobnicate", "--", "/bin/true"), 125, "--frobnicate");
        assertOneLineError(run("run", "--frobnicate"), 125, "--frobnicate");
    }

    @Test
    void anUnknownLogLevelNamesTheAcceptedOnes() {
        // (not assertOneLineError: the accepted levels include "debug", which its check for the word "bug" would trip on)
        Cli.Result backends = run("backends", "--log-level", "loud");
        assertEquals(2, backends.exitCode(), backends::toString);
        assertEquals("kavach backends: Invalid value for option '--log-level': 'loud' is not a log level; use error, warn, info, debug or trace",
                backends.stderr().lines().findFirst().orElse(""));
        Cli.Result run = run("run", "--log-level", "loud", "--", "/bin/true");
        assertEquals(125, run.exitCode(), run::toString);
        assertContains(run.stderr().lines().findFirst().orElse(""), "'loud' is not a log level");
        assertEquals(0, run("--log-level", "DEBUG", "config").exitCode(), "any case");
    }

    @Test
    void anUnknownFlagOfAnyOtherCommandIsAUsageErrorNotSuccess() {
        assertOneLineError(run("backends", "--bogus"), 2, "--bogus");
        assertOneLineError(run("plugins", "--bogus"), 2, "--bogus");
        assertOneLineError(run("config", "--bogus"), 2, "--bogus");
    }

    @Test
    void aFlagAfterTheProgramNameStillBelongsToTheProgram() {
        Cli.Result result = run("run", "--backend", "process", "--policy", "minimal", "/bin/echo", "--frobnicate");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("--frobnicate\n", result.stdout());
    }

    @Test
    void cpusOutsideTheHostsRangeAreRejectedWithTheRange() {
        String top = String.valueOf(Runtime.getRuntime().availableProcessors());
        for (String bad : new String[] {"1e308", "NaN", "Infinity", "-Infinity", "-1", "0.001", String.valueOf(Runtime.getRuntime().availableProcessors() + 1)}) {
            assertOneLineError(run("run", "--cpus", bad, "--", "/bin/true"), 125, "--cpus", "'" + bad + "'", "0.01 to " + top);
        }
    }

    @Test
    void aTimeoutTooLongToWaitForIsRejectedAndALongOneIsHonoured() {
        assertOneLineError(run("run", "--timeout", "999999999999h", "--", "/bin/true"), 125, "--timeout", "too long", "106751d");
        Cli.Result longButFine = run("run", "--backend", "process", "--policy", "minimal", "--timeout", "100000d",
                "--shell", "sleep 1; echo still-running");
        assertEquals(0, longButFine.exitCode(), longButFine::toString);
        assertEquals("still-running\n", longButFine.stdout(), "a long timeout is no instant timeout");
    }

    @Test
    void aBadStdinFileSaysWhatIsWrongWithIt() {
        assertOneLineError(run("run", "--stdin", dir.resolve("missing").toString(), "--", "/bin/cat"), 125, "--stdin", "no such file");
        assertOneLineError(run("run", "--stdin", dir.toString(), "--", "/bin/cat"), 125, "--stdin", "a directory");
        assertOneLineError(run("run", "-i", "--stdin", "/etc/hostname", "--", "/bin/cat"), 125, "-i", "--stdin FILE");
    }
}
