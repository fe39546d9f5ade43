package dev.kavach.core;

import dev.kavach.api.BackendProvider;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Third-party plugins built at test time, as PF4J's JarPluginManagerTest does: backend sources compiled
 * with javax.tools against the kavach-api JAR alone, packaged as plugin JARs with a PF4J manifest.
 * Sources are compiled once per JVM; each test packages JARs into its own temporary plugins directory.
 *
 * <p>The backend reads {@code acme.properties} from its own JAR, so one compiled class serves many plugins:
 * {@code id}, {@code strength}, and {@code fail} = {@code constructor} | {@code probe} | {@code probe-error} |
 * {@code info} (unexpected failures), {@code probe-config} | {@code create-config} | {@code exec-config} (a
 * {@link dev.kavach.api.ConfigurationException} naming the setting {@code greeting}), {@code create-bug},
 * {@code exec-error} or {@code command-error}.
 * Each exec returns exit code 7 and stdout {@code <id>|<greeting setting>|<argv>} (but {@code report-policy}
 * exits 0 printing the memory limit, effective timeout and inheritance the backend received); the probe reports the
 * backend unavailable with two failed checks when the setting {@code available} is false. With {@code marker} set, the
 * provider's constructor writes that file: the proof that the plugin's classes were loaded.
 */
final class TestPlugins {
    static final String BACKEND_SOURCE = """
            package com.acme.backend;

            import dev.kavach.api.*;
            import java.io.InputStream;
            import java.nio.charset.StandardCharsets;
            import java.time.Duration;
            import java.util.Properties;

            public final class AcmeBackendProvider implements BackendProvider {
                private final Properties p = new Properties();

                public AcmeBackendProvider() throws Exception {
                    try (InputStream in = AcmeBackendProvider.class.getResourceAsStream("/acme.properties")) {
                        p.load(in);
                    }
                    if (p.getProperty("marker") != null) {
                        java.nio.file.Files.writeString(java.nio.file.Path.of(p.getProperty("marker")), "loaded");
                    }
                    if (p.getProperty("fail", "").equals("constructor")) {
                        throw new IllegalStateException("acme constructor exploded");
                    }
                }

                @Override
                public BackendInfo info() {
                    if (p.getProperty("fail", "").equals("info")) {
                        throw new IllegalStateException("acme info exploded");
                    }
                    return new BackendInfo(p.getProperty("id"), "Acme " + p.getProperty("id"), IsolationKind.PROCESS,
                            Integer.parseInt(p.getProperty("strength", "150")), "A third-party test backend.");
                }

                @Override
                public Availability probe(BackendContext context) {
                    if (p.getProperty("fail", "").equals("probe")) {
                        throw new IllegalStateException("acme probe exploded");
                    }
                    if (p.getProperty("fail", "").equals("probe-error")) {
                        throw new AssertionError("acme probe asserted");
                    }
                    if (p.getProperty("fail", "").equals("probe-config")) {
                        throw context.settings().invalid("greeting", context.settings().string("greeting", ""), "a friendly word");
                    }
                    if (!context.settings().bool("available", true)) {
                        return Availability.of(
                                ProbeCheck.missing("acme-device", "/dev/acme is missing", "load the acme kernel module"),
                                ProbeCheck.ok("acme-config", "found"),
                                ProbeCheck.missing("acme-tool", "acme-tool is not on PATH", "apt-get install acme-tool"));
                    }
                    return Availability.of(ProbeCheck.ok("acme-device", "/dev/acme present"));
                }

                @Override
                public SandboxBackend create(BackendContext context) {
                    String fail = p.getProperty("fail", "");
                    if (fail.equals("create-config")) {
                        throw context.settings().invalid("greeting", context.settings().string("greeting", ""), "a friendly word");
                    }
                    if (fail.equals("create-bug")) {
                        throw new IllegalStateException("acme create exploded");
                    }
                    String greeting = context.settings().string("greeting", "none") + %EXTRA%;
                    String id = p.getProperty("id");
                    BackendSettings settings = context.settings();
                    return new SandboxBackend() {
                        @Override
                        public ExecResult exec(ExecRequest request) {
                            if (fail.equals("exec-config")) {
                                throw settings.invalid("greeting", settings.string("greeting", ""), "a friendly word");
                            }
                            if (fail.equals("exec-error")) {
                                throw new AssertionError("acme exec asserted");
                            }
                            if (request.command().argv().get(0).equals("report-policy")) {
                                byte[] seen = ("memory=" + request.policy().memoryMiB() + " timeout=" + request.effectiveTimeout().toMillis()
                                        + " inherits=" + request.inheritsPolicy()).getBytes(StandardCharsets.UTF_8);
                                return ExecResult.completed(0, new StreamOutput(seen, 0), StreamOutput.EMPTY, Duration.ZERO);
                            }
                            byte[] out = (id + "|" + greeting + "|" + String.join(" ", request.command().argv())).getBytes(StandardCharsets.UTF_8);
                            return ExecResult.completed(7, new StreamOutput(out, 0), StreamOutput.EMPTY, Duration.ZERO);
                        }

                        @Override
                        public java.util.Optional<java.util.List<String>> commandLine(ExecRequest request) {
                            java.util.List<String> line = new java.util.ArrayList<>(java.util.List.of("acme-run", id));
                            line.addAll(request.command().argv());
                            return java.util.Optional.of(line);
                        }

                        @Override
                        public void close() {
                        }
                    };
                }
            }
            """;

    /** A {@code kavach hello-<id>} subcommand shipped by every compiled backend plugin. */
    static final String COMMAND_SOURCE = """
            package com.acme.backend;

            import dev.kavach.api.*;
            import java.io.InputStream;
            import java.io.PrintStream;
            import java.util.List;
            import java.util.Properties;

            public final class AcmeCommand implements CommandExtension {
                private final Properties p = new Properties();

                public AcmeCommand() throws Exception {
                    try (InputStream in = AcmeCommand.class.getResourceAsStream("/acme.properties")) {
                        p.load(in);
                    }
                }

                @Override
                public String name() {
                    return "hello-" + p.getProperty("id");
                }

                @Override
                public String summary() {
                    return "Greets from the acme plugin.";
                }

                @Override
                public String backendId() {
                    return p.getProperty("id");
                }

                @Override
                public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
                    if (p.getProperty("fail", "").equals("command-error")) {
                        throw new StackOverflowError("acme command recursed");
                    }
                    out.print("hello " + String.join(" ", args) + " " + context.settings().string("greeting", "none"));
                    return 5;
                }
            }
            """;

    static final String LIB_SOURCE = """
            package com.acme.lib;

            public final class Shout {
                private Shout() {
                }

                public static String shout(String text) {
                    return text.toUpperCase(java.util.Locale.ROOT) + "!";
                }
            }
            """;

    private static final Path WORK = Path.of("target", "test-plugins").toAbsolutePath();
    private static Path backendClasses;
    private static Path libJar;
    private static Path libUserClasses;
    private static Path commandClasses;

    private TestPlugins() {
    }

    /** The kavach-api JAR the test itself runs against. */
    static Path apiJar() {
        try {
            Path location = Path.of(BackendProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(location)) {
                return location;
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall back to the local repository
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository", "dev", "kavach", "kavach-api", "0.1.0", "kavach-api-0.1.0.jar");
    }

    /** Compiled classes of the api-only backend (module com.acme.backend), compiled once. */
    static synchronized Path backendClasses() {
        if (backendClasses == null) {
            backendClasses = compile("backend", Map.of(
                    "module-info.java", "module com.acme.backend { requires dev.kavach.api; provides dev.kavach.api.BackendProvider with com.acme.backend.AcmeBackendProvider; }",
                    "com/acme/backend/AcmeBackendProvider.java", BACKEND_SOURCE.replace("%EXTRA%", "\"\"")), List.of(apiJar()));
        }
        return backendClasses;
    }

    /** The api-only backend plus a {@code kavach hello-<id>} command extension, compiled once. */
    static synchronized Path commandClasses() {
        if (commandClasses == null) {
            commandClasses = compile("command", Map.of(
                    "module-info.java", "module com.acme.backend { requires dev.kavach.api; provides dev.kavach.api.BackendProvider with com.acme.backend.AcmeBackendProvider; "
                            + "provides dev.kavach.api.CommandExtension with com.acme.backend.AcmeCommand; }",
                    "com/acme/backend/AcmeBackendProvider.java", BACKEND_SOURCE.replace("%EXTRA%", "\"\""),
                    "com/acme/backend/AcmeCommand.java", COMMAND_SOURCE), List.of(apiJar()));
        }
        return commandClasses;
    }

    /** A library JAR (module com.acme.lib) that a folder plugin ships beside itself. */
    static synchronized Path libJar() {
        if (libJar == null) {
            Path classes = compile("lib", Map.of(
                    "module-info.java", "module com.acme.lib { exports com.acme.lib; }",
                    "com/acme/lib/Shout.java", LIB_SOURCE), List.of());
            libJar = WORK.resolve("acme-lib.jar");
            jar(libJar, new Manifest(), classes, Map.of(), true);
        }
        return libJar;
    }

    /** The backend variant whose greeting goes through com.acme.lib, compiled against the api and that library only. */
    static synchronized Path libUserClasses() {
        if (libUserClasses == null) {
            libUserClasses = compile("lib-user", Map.of(
                    "module-info.java", "module com.acme.backend { requires dev.kavach.api; requires com.acme.lib; provides dev.kavach.api.BackendProvider with com.acme.backend.AcmeBackendProvider; }",
                    "com/acme/backend/AcmeBackendProvider.java", BACKEND_SOURCE.replace("%EXTRA%", "com.acme.lib.Shout.shout(\"-via-lib\")")),
                    List.of(apiJar(), libJar()));
        }
        return libUserClasses;
    }

    /** A plugin JAR builder. */
    static Builder plugin(String pluginId, String backendId) {
        return new Builder(pluginId, backendId);
    }

    static final class Builder {
        private final Map<String, String> manifest = new LinkedHashMap<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, byte[]> extra = new LinkedHashMap<>();
        private Path classes = backendClasses();
        private boolean modular = true;
        private String reference;

        private Builder(String pluginId, String backendId) {
            manifest.put("Plugin-Id", pluginId);
            manifest.put("Plugin-Version", "1.0.0");
            manifest.put("Plugin-Requires", ">=0.1.0");
            manifest.put("Plugin-Provider", "Acme Corp");
            properties.put("id", backendId);
            reference = "kavach.backends." + backendId + ".greeting = \"from reference.conf\"\n"
                    + "kavach.backends." + backendId + ".available = true\n";
        }

        Builder strength(int value) {
            properties.put("strength", String.valueOf(value));
            return this;
        }

        /** Makes the provider's constructor write {@code file}, so that a test sees whether the plugin was loaded. */
        Builder markLoadIn(Path file) {
            properties.put("marker", file.toString());
            return this;
        }

        /** Declares the plugin's backends in its manifest ({@code Kavach-Backends}), which defers its loading. */
        Builder declares(String backends) {
            return manifest("Kavach-Backends", backends);
        }

        /** Makes the provider fail in its constructor, {@code info()} or {@code probe()}. */
        Builder failIn(String where) {
            properties.put("fail", where);
            return this;
        }

        Builder manifest(String key, String value) {
            if (value == null) {
                manifest.remove(key);
            } else {
                manifest.put(key, value);
            }
            return this;
        }

        /** Without module-info: loads as an automatic module (or on a class loader). */
        Builder nonModular() {
            modular = false;
            return this;
        }

        /** Adds the command extension {@code kavach hello-<id>}. */
        Builder withCommand() {
            classes = commandClasses();
            return this;
        }

        Builder usingLib() {
            classes = libUserClasses();
            return this;
        }

        Builder reference(String value) {
            reference = value;
            return this;
        }

        Builder entry(String name, byte[] content) {
            extra.put(name, content);
            return this;
        }

        /** Writes the plugin JAR to {@code file} and returns it. */
        Path writeTo(Path file) {
            Manifest mf = new Manifest();
            mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.forEach((key, value) -> mf.getMainAttributes().putValue(key, value));
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put("META-INF/services/dev.kavach.api.BackendProvider", "com.acme.backend.AcmeBackendProvider\n".getBytes(StandardCharsets.UTF_8));
            StringBuilder props = new StringBuilder();
            properties.forEach((key, value) -> props.append(key).append('=').append(value).append('\n'));
            if (classes.equals(commandClasses)) {
                entries.put("META-INF/services/dev.kavach.api.CommandExtension", "com.acme.backend.AcmeCommand\n".getBytes(StandardCharsets.UTF_8));
            }
            entries.put("acme.properties", props.toString().getBytes(StandardCharsets.UTF_8));
            if (reference != null) {
                entries.put("reference.conf", reference.getBytes(StandardCharsets.UTF_8));
            }
            entries.putAll(extra);
            jar(file, mf, classes, entries, modular);
            return file;
        }
    }

    /** The classes of kavach-api itself, to build a plugin that wrongly bundles them. */
    static Map<String, byte[]> apiClasses() {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        try (JarFile api = new JarFile(apiJar().toFile())) {
            for (JarEntry entry : java.util.Collections.list(api.entries())) {
                if (entry.getName().startsWith("dev/kavach/api/") && entry.getName().endsWith(".class")) {
                    classes.put(entry.getName(), api.getInputStream(entry).readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return classes;
    }

    static Path writeFile(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path compile(String name, Map<String, String> sources, List<Path> modulePath) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        Prerequisites.require(compiler != null, "a JDK (not a JRE) to compile test plugins: install openjdk-21-jdk or newer");
        Path root = WORK.resolve(name);
        Path src = root.resolve("src");
        Path out = root.resolve("classes");
        deleteTree(root);
        List<String> args = new ArrayList<>(List.of("--release", "21", "-d", out.toString(), "-proc:none"));
        if (!modulePath.isEmpty()) {
            args.add("--module-path");
            args.add(String.join(java.io.File.pathSeparator, modulePath.stream().map(Path::toString).toList()));
        }
        sources.forEach((file, text) -> args.add(writeFile(src.resolve(file), text).toString()));
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = compiler.run(null, new ByteArrayOutputStream(), errors, args.toArray(String[]::new));
        assertEquals(0, status, "compiling test plugin " + name + " failed:\n" + errors.toString(StandardCharsets.UTF_8));
        return out;
    }

    private static void jar(Path file, Manifest manifest, Path classes, Map<String, byte[]> entries, boolean withModuleInfo) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file), manifest);
                 Stream<Path> walk = Files.walk(classes)) {
                for (Path path : walk.filter(Files::isRegularFile).sorted().toList()) {
                    String name = classes.relativize(path).toString().replace('\\', '/');
                    if (!withModuleInfo && name.equals("module-info.class")) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(name));
                    out.write(Files.readAllBytes(path));
                    out.closeEntry();
                }
                for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                    out.putNextEntry(new JarEntry(entry.getKey()));
                    out.write(entry.getValue());
                    out.closeEntry();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
