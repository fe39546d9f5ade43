package dev.kavach.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@code --json} promises: always one JSON object on stdout, failures included, with one key style. */
class JsonOutputTest {
    private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    @TempDir
    Path dir;

    private Cli.Result run(String... args) {
        return new Cli(dir).run(args);
    }

    @Test
    void aKavachFailureIsAJsonObjectOnStdoutWithTheSameExitCode() {
        Cli.Result result = run("run", "--json", "--backend", "nosuch", "--", "/bin/true");
        assertEquals(125, result.exitCode(), result::toString);
        assertContains(result.stderr(), "nosuch"); // the line for a person stays
        Config json = result.json();
        assertContains(json.getString("error.message"), "nosuch");
        assertEquals("ConfigurationException", json.getString("error.type"));
        assertTrue(json.hasPath("error.fix"));
        assertEquals(125, json.getInt("exit_code"));
    }

    @Test
    void aUsageErrorWithJsonIsAJsonObjectToo() {
        Cli.Result run = run("run", "--json", "--frobnicate", "--", "/bin/true");
        assertEquals(125, run.exitCode(), run::toString);
        assertContains(run.json().getString("error.message"), "--frobnicate");
        assertEquals(125, run.json().getInt("exit_code"));
        Cli.Result backends = run("backends", "--json", "--bogus");
        assertEquals(2, backends.exitCode(), backends::toString);
        assertContains(backends.json().getString("error.message"), "--bogus");
        assertEquals(2, backends.json().getInt("exit_code"));
    }

    @Test
    void everyJsonTheCliPrintsUsesSnakeCaseKeys() throws IOException {
        List<Cli.Result> outputs = List.of(
                run("run", "--backend", "process", "--json", "--shell", "printf '\\377'; echo err >&2"),
                run("backends", "--json"),
                run("plugins", "--json"),
                run("config", "--json"),
                run("run", "--json", "--backend", "nosuch", "--", "/bin/true"));
        for (Cli.Result output : outputs) {
            List<String> keys = keys(output.stdout());
            assertTrue(!keys.isEmpty(), output::toString);
            for (String key : keys) {
                assertTrue(SNAKE_CASE.matcher(key).matches(), () -> "key '" + key + "' is not snake_case in " + output);
            }
        }
    }

    @Test
    void nulBytesAreEscapedAndTheResultStaysOneValidLine() {
        Cli.Result result = run("run", "--backend", "process", "--json", "--shell", "head -c 1000 /dev/zero; head -c 10 /dev/zero >&2");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals(1, result.stdout().lines().count());
        Config json = result.json();
        assertEquals("\0".repeat(1000), json.getString("stdout.text"));
        assertEquals(1000, json.getLong("stdout.bytes"));
        assertEquals("\0".repeat(10), json.getString("stderr.text"));
    }

    /** Every object key in a JSON text, at any depth (config keys are values there: {"key": "kavach.max-pids"}). */
    static List<String> keys(String json) throws IOException {
        List<String> keys = new ArrayList<>();
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            for (JsonToken token; (token = parser.nextToken()) != null; ) {
                if (token == JsonToken.FIELD_NAME) {
                    keys.add(parser.currentName());
                }
            }
        }
        return keys;
    }
}
