package dev.kavach.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGINT, SIGTERM and SIGHUP sent to {@code kavach run} stop the command's whole process tree, leave no
 * process and no temporary file behind, and make Kavach exit 128 + the signal's number, as {@code timeout}
 * and {@code docker run} do.
 */
class SignalsIT {
    private static Path launcher;

    @TempDir
    Path dir;

    @BeforeAll
    static void locate() {
        launcher = RepoLauncher.require();
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/python3")),
                "python3, which starts kavach with default signal dispositions (apt-get install python3)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"INT, 2", "TERM, 15", "HUP, 1"})
    void aSignalStopsTheWholeTreeAndKavachExitsWith128PlusN(String signal, int number) throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        // A number no other process uses, so that the check below finds only this test's processes.
        String marker = String.valueOf(ThreadLocalRandom.current().nextInt(100_000, 999_999));
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-c",
                // A parent that ignores SIGINT or SIGHUP (a background job, nohup) passes that on; reset them.
                "import os, signal, sys\n"
                        + "for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)\n"
                        + "os.execv(sys.argv[1], sys.argv[1:])",
                launcher.toString(), "run", "--backend", "process", "--timeout", "600s",
                "--shell", "sleep " + marker + " & sleep " + marker + " & echo started; wait"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("KAVACH_CDS", "off");
        builder.environment().put("KAVACH_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        Process kavach = builder.start();
        kavach.getOutputStream().close();
        BufferedReader output = new BufferedReader(new InputStreamReader(kavach.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = output.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.equals("started")) {
                break;
            }
        }
        assertTrue(seen.toString().contains("started"), () -> "the command started: " + seen);
        long started = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (running(marker) < 2 && System.nanoTime() < started) {
            Thread.sleep(50); // the shell echoes before its background children have exec'd sleep
        }
        assertEquals(2, running(marker), "the tree is there before the signal");

        // python3 and the launcher exec'd: the pid is the JVM's.
        Process kill = new ProcessBuilder("kill", "-s", signal, String.valueOf(kavach.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
        assertTrue(kavach.waitFor(60, TimeUnit.SECONDS), "kavach exits after the signal");
        String rest = new String(kavach.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(128 + number, kavach.exitValue(), () -> seen + rest);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (running(marker) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, running(marker), "no process of the command's tree outlives kavach");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "no temporary file outlives kavach");
        }
    }

    /** Processes whose command line is {@code sleep <marker>}. */
    private static long running(String marker) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).filter(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).equals("sleep\0" + marker + "\0");
                } catch (IOException e) {
                    return false; // gone meanwhile
                }
            }).count();
        }
    }
}
