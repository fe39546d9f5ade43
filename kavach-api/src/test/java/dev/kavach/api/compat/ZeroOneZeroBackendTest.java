package dev.kavach.api.compat;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend compiled against the 0.1.0 API (the committed baseline jar), written the way 0.1.0 asked
 * (buffered {@code exec} implemented, the 8-argument result constructor), links against this API and
 * behaves: the host's streaming call reaches it and the listener gets its output.
 */
class ZeroOneZeroBackendTest {
    private static final String SOURCE = """
            package old.plugin;

            import dev.kavach.api.*;
            import java.time.Duration;
            import java.util.List;

            public final class OldBackend implements SandboxBackend {
                public ExecResult exec(ExecRequest request) {
                    byte[] out = String.join(" ", request.command().argv()).getBytes();
                    return new ExecResult(3, new StreamOutput(out, 0), new StreamOutput("e".getBytes(), 0), Duration.ofMillis(5),
                            Outcome.COMPLETED, "", List.of(new Enforcement("memory", "none")), null);
                }
                public void close() { }
            }
            """;

    @Test
    void aZeroOneZeroBackendStillLinksAndStreams(@TempDir Path dir) throws Exception {
        Path baseline = Path.of("src/compat/kavach-api-0.1.0.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(baseline), "the baseline jar is missing: " + baseline);
        Path source = Files.createDirectories(dir.resolve("src/old/plugin")).resolve("OldBackend.java");
        Files.writeString(source, SOURCE);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, "--release", "21", "-classpath", baseline.toString(), "-d", classes.toString(),
                source.toString());
        assertEquals(0, status, diagnostics.toString());

        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            SandboxBackend backend = (SandboxBackend) loader.loadClass("old.plugin.OldBackend").getConstructor().newInstance();
            List<String> delivered = new ArrayList<>();
            OutputListener listener = (stream, data, offset, length) -> delivered.add(stream + ":" + new String(data, offset, length));
            ExecResult streamed = backend.exec(ExecRequest.of("echo", "hi"), listener);
            assertEquals(3, streamed.exitCode());
            assertEquals(List.of(StdStream.STDOUT + ":echo hi", StdStream.STDERR + ":e"), delivered);
            ExecResult buffered = backend.exec(ExecRequest.of("x"));
            assertEquals("x", buffered.stdoutText());
            assertNotNull(buffered.enforcement().get(0));
        }
    }
}
