package dev.kavach.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** {@code kavach run --json} matches the JSON Schema the distribution ships, for every shape it prints. */
class ResultSchemaTest {
    /** Where the schema lives in the repository; the build copies it to the distribution's schema/. */
    static final Path SCHEMA = Path.of("src/dist/schema/run-result.schema.json");
    private static Schema schema;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        schema = SchemaRegistry.withDialect(Dialects.getDraft202012()).getSchema(Files.readString(SCHEMA), InputFormat.JSON);
    }

    private void assertValid(Cli.Result result) {
        List<Error> errors = schema.validate(result.stdout(), InputFormat.JSON);
        assertEquals(List.of(), errors, result::toString);
    }

    @Test
    void aCompletedRunWithTextAndBinaryOutputMatches() {
        assertValid(new Cli(dir).run("run", "--backend", "process", "--json", "--shell", "echo text; printf '\\377' >&2; exit 4"));
    }

    @Test
    void timedOutAndNotFoundRunsMatch() {
        assertValid(new Cli(dir).run("run", "--backend", "process", "--json", "--timeout", "300ms", "--", "/bin/sleep", "30"));
        assertValid(new Cli(dir).run("run", "--backend", "process", "--json", "--", "/no/such/program"));
    }

    @Test
    void truncatedOutputMatches() {
        assertValid(new Cli(dir).run("run", "--backend", "process", "--json", "-D", "kavach.policy.output-limit=1K",
                "--shell", "head -c 5000 /dev/zero"));
    }

    @Test
    void kavachFailuresAndUsageErrorsMatch() {
        assertValid(new Cli(dir).run("run", "--json", "--backend", "nosuch", "--", "/bin/true"));
        assertValid(new Cli(dir).run("run", "--json", "--frobnicate"));
    }

    @Test
    void theSchemaRejectsWhatIsNotAResult() {
        // A schema that accepted anything would make the tests above meaningless.
        assertFalse(schema.validate("{\"exitCode\": 0}", InputFormat.JSON).isEmpty());
        assertFalse(schema.validate("{\"error\": {\"message\": \"m\", \"fix\": \"\", \"type\": \"t\"}}", InputFormat.JSON).isEmpty());
    }
}
