package dev.kavach.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code kavach} models only the built-in command a line names (picocli's reflection over every command
 * was most of a short run's time); these tests hold that the answer to any line stays what the whole
 * model gives, and that the version is printed as picocli printed it.
 */
class CommandWordTest {
    @Test
    void theWordAfterTheTopLevelOptions() {
        assertEquals(Optional.of("run"), CommandWord.of(new String[] {"run", "--", "true"}));
        assertEquals(Optional.of("backends"), CommandWord.of(new String[] {"--config", "k.conf", "-D", "kavach.a=b", "-v", "backends", "--json"}));
        assertEquals(Optional.of("config"), CommandWord.of(new String[] {"--config=k.conf", "-Dkavach.a=b", "--verbose", "config"}));
        assertEquals(Optional.of("plugins"), CommandWord.of(new String[] {"--log-level", "debug", "--log-level=info", "plugins"}));
        assertEquals(Optional.of("sev"), CommandWord.of(new String[] {"sev", "measure"}), "a plugin's word: the caller models everything");
        assertEquals(Optional.empty(), CommandWord.of(new String[] {"--help"}));
        assertEquals(Optional.empty(), CommandWord.of(new String[] {"-vx", "run"}), "an option this does not know: no answer");
        assertEquals(Optional.empty(), CommandWord.of(new String[] {"--config"}));
        assertEquals(Optional.empty(), CommandWord.of(new String[0]));
    }

    @Test
    void everyLineAnswersAsWithTheWholeModel(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("plugins"));
        Map<String, String> env = Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "HOME", dir.toString(),
                "KAVACH_PLUGINS_DIR", dir.resolve("plugins").toString());
        List<List<String>> lines = List.of(
                List.of("run", "--help"), List.of("run", "--bogus"), List.of("run", "--policy", "nonsense", "--", "true"),
                List.of("run", "--backend", "noop", "--", "true"), List.of("-D", "kavach.backend=noop", "run", "--json", "--", "x"),
                List.of("backends", "--bogus"), List.of("--config", "missing.conf", "backends"), List.of("plugins", "--json"),
                List.of("config", "--help"), List.of("setup", "--help"), List.of("help", "run"), List.of("rnu"), List.of("--help"),
                List.of("-v", "--version"), List.of("--version"), List.of("-V"), List.of());
        for (List<String> line : lines) {
            String[] args = line.toArray(String[]::new);
            String whole = answer(dir, env, inv -> KavachCommand.commandLine(inv).execute(args));
            String lazy = answer(dir, env, inv -> Main.run(args, inv));
            assertEquals(whole, lazy, "kavach " + String.join(" ", line));
        }
    }

    interface Run {
        int run(Invocation invocation);
    }

    /** Exit code, stdout and stderr of one in-process run, as one text to compare. */
    static String answer(Path dir, Map<String, String> env, Run run) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int code = run.run(new Invocation(env, dir, new ByteArrayInputStream(new byte[0]), o, e));
            o.flush();
            e.flush();
            return "exit " + code + "\n--- stdout\n" + out.toString(StandardCharsets.UTF_8) + "--- stderr\n" + err.toString(StandardCharsets.UTF_8);
        }
    }
}
