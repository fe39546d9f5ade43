package dev.kavach.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast path of {@code kavach run} ({@link RunLine}) fills the command exactly as picocli does, refuses
 * every line it does not fully understand, and any line answers (exit code, stdout, stderr) as through
 * picocli alone.
 */
class RunLineTest {
    private static final List<List<String>> PLAIN = List.of(
            List.of("run", "--", "true"),
            List.of("run", "true"),
            List.of("run", "ls", "-la", "--", "x"),
            List.of("run", "--backend", "process", "--policy", "strict", "--timeout", "10s", "--memory", "256M", "--cpus", "0.5", "--", "a", "b"),
            List.of("run", "--backend=noop", "--policy=minimal", "--timeout=500ms", "--memory=2G", "--cpus=1", "true"),
            List.of("run", "--env", "A=1", "--env", "B=x=y", "--env=C=", "--workdir", "/tmp", "--stdin", "file.txt", "--", "cat"),
            List.of("run", "--json", "--dry-run", "-v", "--config", "k.conf", "-D", "kavach.timeout=5s", "-D", "kavach.a=b", "--", "true"),
            List.of("run", "-i", "--verbose", "--interactive=", "x"),
            List.of("run", "--shell", "echo hi; exit 3"),
            List.of("run", "--log-level", "debug", "--log-level=info", "true"), List.of("run", "--log-level=trace", "--", "true"),
            List.of("run", "--stdin", "f", "-i", "--", "cat"));

    private static final List<List<String>> REFUSED = List.of(
            List.of("run", "--help"), List.of("run", "-h"), List.of("run", "--backend"), List.of("run", "--backend", "a", "--backend", "b"),
            List.of("run", "--policy", "bogus", "--", "true"), List.of("run", "--memory", "lots", "true"), List.of("run", "--cpus", "-1", "true"),
            List.of("run", "-iv", "true"), List.of("run", "-Dkavach.a=b", "true"), List.of("run", "--json=true", "true"),
            List.of("run", "--json", "--json", "true"), List.of("run", "--env", "novalue", "true"), List.of("run", "--stdin", "-", "cat"),
            List.of("run", "--bogus", "true"), List.of("-v", "run", "true"), List.of("backends"), List.of("run"),
            List.of("run", "--log-level", "loud", "true"));

    private static Invocation invocation(Path dir) {
        PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream());
        return new Invocation(Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString()), dir, new ByteArrayInputStream(new byte[0]), sink, sink);
    }

    @Test
    void aPlainLineFillsTheCommandAsPicocliDoes(@TempDir Path dir) {
        for (List<String> line : PLAIN) {
            String[] args = line.toArray(String[]::new);
            Invocation invocation = invocation(dir);
            Optional<RunCommand> fast = RunLine.parse(args, new KavachCommand(invocation));
            CommandLine.ParseResult parsed;
            try {
                parsed = KavachCommand.commandLine(invocation).parseArgs(args);
            } catch (CommandLine.ParameterException e) {
                // picocli refuses this line: the fast path must not take it
                assertEquals(Optional.empty(), fast.map(RunLineTest::fields), String.join(" ", line) + ": " + e.getMessage());
                continue;
            }
            RunCommand picocli = (RunCommand) parsed.subcommand().commandSpec().userObject();
            assertTrue(fast.isPresent(), "the fast path refused a plain line: " + line);
            assertEquals(fields(picocli), fields(fast.get()), String.join(" ", line));
        }
    }

    @Test
    void anythingElseIsLeftToPicocli(@TempDir Path dir) {
        for (List<String> line : REFUSED) {
            assertEquals(Optional.empty(), RunLine.parse(line.toArray(String[]::new), new KavachCommand(invocation(dir))).map(RunLineTest::fields),
                    String.join(" ", line));
        }
    }

    @Test
    void everyLineAnswersAsThroughPicocliAlone(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("plugins"));
        Files.writeString(dir.resolve("in.txt"), "data\n");
        Map<String, String> env = Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "HOME", dir.toString(),
                "KAVACH_PLUGINS_DIR", dir.resolve("plugins").toString());
        List<List<String>> lines = List.of(
                List.of("run", "--backend", "noop", "--", "true"), List.of("run", "--backend", "noop", "--json", "--", "true"),
                List.of("run", "--backend", "nosuch", "--", "true"), List.of("run", "--json", "--backend", "nosuch", "true"),
                List.of("run", "--", ""), List.of("run", "--"), List.of("run", "--shell", "x", "--", "y"),
                List.of("run", "--backend", "noop", "--stdin", "missing.txt", "--", "cat"),
                List.of("run", "--backend", "noop", "--stdin", "in.txt", "-i", "--", "cat"),
                List.of("run", "--backend", "noop", "--env", "=x", "--", "true"), List.of("run", "--policy", "nonsense", "--", "true"),
                List.of("run", "-D", "kavach.bogus=1", "--backend", "noop", "--", "true"),
                List.of("run", "--backend", "noop", "--dry-run", "--", "true"), List.of("run", "--config", "missing.conf", "--", "true"));
        for (List<String> line : lines) {
            String[] args = line.toArray(String[]::new);
            String picocli = CommandWordTest.answer(dir, env, inv -> KavachCommand.commandLine(inv).execute(args));
            String fast = CommandWordTest.answer(dir, env, inv -> Main.run(args, inv));
            assertEquals(picocli, fast, "kavach " + String.join(" ", line));
        }
    }

    /** Every field picocli sets on a run command, as one comparable list. */
    private static List<Object> fields(RunCommand run) {
        return Arrays.asList(run.backend, run.preset, run.timeout, run.memoryMiB, run.cpus, run.env, run.workdir, run.stdin, run.interactive,
                run.shell, run.dryRun, run.json, run.argv, run.help, run.load.configFile, run.load.overrides, run.load.verbose, run.load.logLevel);
    }
}
