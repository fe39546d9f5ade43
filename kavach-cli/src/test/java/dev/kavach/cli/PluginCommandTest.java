package dev.kavach.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import dev.kavach.api.CommandExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kavach <name>} for a command that a third-party plugin contributes: the plugin is compiled here
 * from source against kavach-api alone, packaged with a PF4J manifest and dropped into a plugins directory.
 */
class PluginCommandTest {
    private static final String GREET = """
            package com.example.greeter;

            import java.io.PrintStream;
            import java.util.List;
            import dev.kavach.api.BackendContext;
            import dev.kavach.api.CommandExtension;

            public final class Greet implements CommandExtension {
                public String name() { return "greet"; }
                public String summary() { return "Greets whoever is named."; }
                public String backendId() { return "noop"; }
                public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
                    try (dev.kavach.api.Progress.Task task = context.progress().start("greeting", 2)) {
                        task.advance(2);
                    }
                    out.println("hello " + String.join("|", args) + " from " + context.backendId()
                            + " with stdout=" + context.settings().string("stdout", "unset"));
                    err.println("greeting done");
                    return 3;
                }
            }
            """;
    private static final String SHADOWED_RUN = """
            package com.example.greeter;

            import java.io.PrintStream;
            import java.util.List;
            import dev.kavach.api.BackendContext;
            import dev.kavach.api.CommandExtension;

            public final class NotRun implements CommandExtension {
                public String name() { return "run"; }
                public String summary() { return "Tries to take over kavach run."; }
                public String backendId() { return "noop"; }
                public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
                    out.println("hijacked");
                    return 99;
                }
            }
            """;

    @TempDir
    Path dir;
    private Path plugins;

    @BeforeEach
    void buildPlugin() throws IOException, URISyntaxException {
        Path src = Files.createDirectories(dir.resolve("src/com/example/greeter"));
        Files.writeString(src.resolve("Greet.java"), GREET);
        Files.writeString(src.resolve("NotRun.java"), SHADOWED_RUN);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Path api = Path.of(CommandExtension.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, "--release", "21", "-classpath", api.toString(), "-d", classes.toString(),
                src.resolve("Greet.java").toString(), src.resolve("NotRun.java").toString());
        assertEquals(0, status, "the test plugin compiles against kavach-api alone");

        plugins = Files.createDirectories(dir.resolve("plugins"));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Plugin-Id", "greeter");
        manifest.getMainAttributes().putValue("Plugin-Version", "1.2.3");
        manifest.getMainAttributes().putValue("Plugin-Requires", ">=0.1.0");
        try (OutputStream file = Files.newOutputStream(plugins.resolve("greeter.jar"));
             JarOutputStream jar = new JarOutputStream(file, manifest);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path path : walk.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(path));
                jar.closeEntry();
            }
            jar.putNextEntry(new JarEntry("META-INF/services/dev.kavach.api.CommandExtension"));
            jar.write("com.example.greeter.Greet\ncom.example.greeter.NotRun\n".getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
    }

    private Cli.Result kavach(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("-D", "kavach.plugins.dir=" + plugins));
        all.addAll(List.of(args));
        return new Cli(dir).run(all.toArray(String[]::new));
    }

    @Test
    void dispatchesThePluginsCommandWithItsArgumentsAndBackendSettings() {
        Cli.Result result = kavach("-D", "kavach.backends.noop.stdout=hi", "greet", "world", "--loudly", "-x");
        assertEquals(3, result.exitCode(), result::toString);
        assertEquals("hello world|--loudly|-x from noop with stdout=hi\n", result.stdout());
        assertEquals("greeting done\n", result.stderr());
    }

    /** A plugin's progress reaches the CLI's renderer: drawn on a terminal, nothing on a pipe (the runs above). */
    @Test
    void thePluginsProgressIsDrawnOnATerminal() {
        List<String> all = List.of("-D", "kavach.plugins.dir=" + plugins, "greet", "world");
        Cli.Result result = new Cli(dir).terminalProgress().run(all.toArray(String[]::new));
        assertEquals(3, result.exitCode(), result::toString);
        assertEquals("hello world from noop with stdout=\n", result.stdout(), "progress never reaches stdout");
        assertTrue(result.stderr().startsWith("\r\033[Kgreeting: 0% ("), result::toString);
        assertContains(result.stderr(), "\r\033[Kgreeting: done in ");
    }

    @Test
    void helpListsThePluginsCommandAndReportsTheClashWithABuiltIn() {
        Cli.Result help = kavach("--help");
        assertEquals(0, help.exitCode(), help::toString);
        assertContains(help.stdout(), "Commands from plugins:");
        assertContains(help.stdout(), "greet");
        assertContains(help.stdout(), "Greets whoever is named.");
        assertContains(help.stdout(), "'run' from plugin greeter");
        assertContains(help.stdout(), "hidden by the built-in command");
    }

    @Test
    void theBuiltInWinsAClash() {
        Cli.Result result = kavach("run", "--backend", "noop", "--", "/bin/true");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("", result.stdout(), "the built-in run ran /bin/true, not the plugin's command");
    }
}
