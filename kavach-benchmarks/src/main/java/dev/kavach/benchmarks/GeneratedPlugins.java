package dev.kavach.benchmarks;

import dev.kavach.api.BackendProvider;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Third-party backend plugins made at bench time, each a real modular plugin JAR as a vendor would ship it:
 * its own module (a {@code module-info} with {@code provides}), its own provider class and backend id, and
 * a PF4J manifest. All are compiled in one {@code javac} run (multi-module mode) against the kavach-api JAR
 * alone, so each plugin's class bytes are its own, as in a real plugins directory.
 */
final class GeneratedPlugins {
    private static final String PROVIDER = """
            package bench.plugin.%1$s;

            import dev.kavach.api.*;
            import java.time.Duration;

            public final class BenchBackendProvider implements BackendProvider {
                @Override
                public BackendInfo info() {
                    return new BackendInfo("bench-%1$s", "Bench %1$s", IsolationKind.PROCESS, 0, "A generated plugin backend.");
                }

                @Override
                public Availability probe(BackendContext context) {
                    return Availability.of(ProbeCheck.ok("bench", "nothing to check"));
                }

                @Override
                public SandboxBackend create(BackendContext context) {
                    return new SandboxBackend() {
                        @Override
                        public ExecResult exec(ExecRequest request) {
                            return ExecResult.completed(0, StreamOutput.EMPTY, StreamOutput.EMPTY, Duration.ZERO);
                        }

                        @Override
                        public void close() {
                        }
                    };
                }
            }
            """;

    private static final String MODULE_INFO = """
            module bench.plugin.%1$s {
                requires dev.kavach.api;
                provides dev.kavach.api.BackendProvider with bench.plugin.%1$s.BenchBackendProvider;
            }
            """;

    private GeneratedPlugins() {
    }

    /** Plugin {@code i}'s short name, e.g. {@code p007}. */
    static String name(int i) {
        return String.format(Locale.ROOT, "p%03d", i);
    }

    /** Compiles and packages {@code count} plugins into {@code jarsDir}, named {@code bench-p000.jar}... */
    static List<Path> create(Path workDir, Path jarsDir, int count) throws IOException {
        Path sources = Files.createDirectories(workDir.resolve("plugin-sources"));
        Path classes = Files.createDirectories(workDir.resolve("plugin-classes"));
        Files.createDirectories(jarsDir);
        List<String> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = name(i);
            Path module = sources.resolve("bench.plugin." + name);
            Path pkg = Files.createDirectories(module.resolve("bench/plugin/" + name));
            Files.writeString(module.resolve("module-info.java"), MODULE_INFO.formatted(name));
            Files.writeString(pkg.resolve("BenchBackendProvider.java"), PROVIDER.formatted(name));
            files.add(module.resolve("module-info.java").toString());
            files.add(pkg.resolve("BenchBackendProvider.java").toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler in this runtime (" + System.getProperty("java.home") + "): run the suite on a JDK");
        }
        List<String> args = new ArrayList<>(List.of("--release", "21", "-nowarn", "--module-source-path", sources.toString(),
                "--module-path", apiJar().toString(), "-d", classes.toString()));
        args.addAll(files);
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        if (javac.run(null, errors, errors, args.toArray(String[]::new)) != 0) {
            throw new IllegalStateException("compiling the generated plugins failed:\n" + errors.toString(StandardCharsets.UTF_8));
        }
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = name(i);
            Path jar = jarsDir.resolve("bench-" + name + ".jar");
            writeJar(classes.resolve("bench.plugin." + name), jar, name);
            jars.add(jar);
        }
        return jars;
    }

    private static void writeJar(Path classes, Path jar, String name) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Plugin-Id", "bench-" + name);
        main.putValue("Plugin-Version", "1.0.0");
        main.putValue("Plugin-Requires", ">=0.1.0");
        main.putValue("Plugin-Description", "generated by the Kavach benchmark suite");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path path : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(path));
                out.closeEntry();
            }
            // For hosts that run Kavach on the classpath.
            out.putNextEntry(new JarEntry("META-INF/services/" + BackendProvider.class.getName()));
            out.write(("bench.plugin." + name + ".BenchBackendProvider\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    /** The kavach-api JAR this JVM runs with: the only thing a third-party backend compiles against. */
    private static Path apiJar() {
        try {
            return Path.of(BackendProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the kavach-api JAR", e);
        }
    }
}
