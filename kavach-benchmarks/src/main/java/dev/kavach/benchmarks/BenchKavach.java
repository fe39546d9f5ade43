package dev.kavach.benchmarks;

import dev.kavach.core.Kavach;
import dev.kavach.core.KavachOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads Kavach the way an embedder does, isolated from the user's setup: no user configuration file, an
 * empty plugins directory unless one is given (built-in backends come from the module or class path), and
 * the given overrides on top.
 */
final class BenchKavach {
    private BenchKavach() {
    }

    static Kavach load(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>();
        all.put("kavach.plugins.dir", emptyPluginsDir().toString());
        all.putAll(overrides);
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.remove("KAVACH_CONFIG"); // the benchmark's settings only
        return Kavach.load(new KavachOptions(null, all, environment, workDir()));
    }

    /**
     * Where the suite keeps generated files: system property {@code kbench.work} (not {@code kavach.*}: Kavach
     * reads every {@code kavach.*} system property as configuration), else a directory under the temp dir.
     */
    static Path workDir() {
        String configured = System.getProperty("kbench.work");
        Path dir = configured != null ? Path.of(configured) : Path.of(System.getProperty("java.io.tmpdir"), "kavach-bench-work");
        try {
            return Files.createDirectories(dir).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the benchmark work directory " + dir, e);
        }
    }

    private static Path emptyPluginsDir() {
        try {
            return Files.createDirectories(workDir().resolve("no-plugins"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
