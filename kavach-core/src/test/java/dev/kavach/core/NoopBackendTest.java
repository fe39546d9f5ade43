package dev.kavach.core;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.Outcome;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in noop backend: always available, never ranked, returns exactly what it is configured to. */
class NoopBackendTest {
    @TempDir
    Path dir;

    private Kavach load(Map<String, String> overrides) {
        return Kavach.load(new KavachOptions(null, overrides, Map.of(), dir));
    }

    @Test
    void isBuiltInAvailableAndHasStrengthZero() {
        try (Kavach kavach = load(Map.of())) {
            BackendEntry noop = kavach.backends().stream().filter(b -> b.id().equals("noop")).findFirst().orElseThrow();
            assertEquals(0, noop.info().strength());
            assertEquals(IsolationKind.NONE, noop.info().isolation());
            assertEquals(BackendOrigin.Kind.BUILT_IN, noop.origin().kind());
            assertTrue(noop.availability().available());
        }
    }

    @Test
    void returnsCompletedExitZeroByDefaultAndRunsNothing() {
        try (Kavach kavach = load(Map.of()); Sandbox sandbox = kavach.open("noop")) {
            ExecResult result = sandbox.exec(ExecRequest.of("rm", "-rf", dir.toString()));
            assertEquals(Outcome.COMPLETED, result.outcome());
            assertEquals(0, result.exitCode());
            assertEquals("", result.stdoutText());
            assertTrue(dir.toFile().isDirectory(), "noop must not run the command");
            assertEquals(java.util.Optional.empty(), sandbox.commandLine(ExecRequest.of("x")));
        }
    }

    @Test
    void configuredExitCodeAndOutputAreReturnedAndStreamedWithinTheLimit() {
        try (Kavach kavach = load(Map.of("kavach.backends.noop.exit-code", "3", "kavach.backends.noop.stdout", "0123456789",
                "kavach.backends.noop.stderr", "oops")); Sandbox sandbox = kavach.open("noop")) {
            ByteArrayOutputStream streamed = new ByteArrayOutputStream();
            ExecResult result = sandbox.exec(ExecRequest.of("x").withPolicy(kavach.policy().withOutputLimitBytes(4)),
                    (stream, data, offset, length) -> {
                        if (stream == StdStream.STDOUT) {
                            streamed.write(data, offset, length);
                        }
                    });
            assertEquals(3, result.exitCode());
            assertEquals("0123", result.stdoutText());
            assertEquals(6, result.stdout().droppedBytes());
            assertTrue(result.stdout().truncated());
            assertEquals("oops", result.stderrText());
            assertEquals("0123", streamed.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void invalidExitCodeIsAConfigurationError() {
        try (Kavach kavach = load(Map.of("kavach.backends.noop.exit-code", "300"))) {
            dev.kavach.api.ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(dev.kavach.api.ConfigurationException.class,
                    () -> kavach.open("noop"));
            assertTrue(e.getMessage().startsWith("invalid value '300' for kavach.backends.noop.exit-code (set at command-line override"), e.getMessage());
        }
    }
}
