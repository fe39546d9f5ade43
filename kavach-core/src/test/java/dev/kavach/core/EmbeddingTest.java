package dev.kavach.core;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Progress;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an application embedding Kavach gets: only the sources it names, the configured policy by default, no nulls. */
class EmbeddingTest {
    @TempDir
    Path dir;

    /** A directory full of what a server might happen to run in: ./kavach.conf, ./plugins, $KAVACH_CONFIG's file. */
    private Map<String, String> surroundings() throws IOException {
        TestPlugins.writeFile(dir.resolve("kavach.conf"), "kavach { timeout = 5s, backend = acme }");
        TestPlugins.plugin("acme-plugin", "acme").writeTo(Files.createDirectories(dir.resolve("plugins")).resolve("acme.jar"));
        Path other = TestPlugins.writeFile(dir.resolve("other.conf"), "kavach.policy.memory = 64M");
        return Map.of("KAVACH_CONFIG", other.toString());
    }

    @Test
    void createReadsOnlyWhatItIsGiven() throws IOException {
        Map<String, String> environment = surroundings();
        String previous = System.setProperty("kavach.policy.max-pids", "9");
        com.typesafe.config.ConfigFactory.invalidateCaches(); // Typesafe Config caches system properties
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withWorkingDirectory(dir).withEnvironment(environment))) {
            SandboxPolicy defaults = SandboxPolicy.basic();
            assertEquals(defaults.timeout(), kavach.policy().timeout(), "./kavach.conf was not read");
            assertEquals(defaults.memoryMiB(), kavach.policy().memoryMiB(), "$KAVACH_CONFIG was not read");
            assertEquals(defaults.maxPids(), kavach.policy().maxPids(), "-Dkavach.* was not read");
            assertEquals(Optional.empty(), kavach.settings().pluginsDir(), "no plugins directory unless one is named");
            assertFalse(kavach.backends().stream().anyMatch(b -> b.id().equals("acme")), "./plugins was not loaded");
            assertEquals("auto", kavach.settings().backend());
        } finally {
            restore("kavach.policy.max-pids", previous);
        }
        try (Kavach kavach = Kavach.create()) {
            assertEquals(SandboxPolicy.basic().timeout(), kavach.policy().timeout());
            assertEquals(Optional.empty(), kavach.settings().pluginsDir());
        }
    }

    @Test
    void fromEnvironmentReadsWhatTheKavachCommandReads() throws IOException {
        Map<String, String> environment = surroundings();
        String previous = System.setProperty("kavach.policy.max-pids", "9");
        com.typesafe.config.ConfigFactory.invalidateCaches();
        try (Kavach kavach = Kavach.create(KavachOptions.fromEnvironment(environment, dir))) {
            assertEquals(64, kavach.policy().memoryMiB(), "$KAVACH_CONFIG was read");
            assertEquals(9, kavach.policy().maxPids(), "-Dkavach.* was read");
            assertEquals(Optional.of(dir.resolve("plugins")), kavach.settings().pluginsDir());
            assertTrue(kavach.backends().stream().anyMatch(b -> b.id().equals("acme")), "./plugins was loaded");
        } finally {
            restore("kavach.policy.max-pids", previous);
        }
        try (Kavach kavach = Kavach.create(KavachOptions.fromEnvironment(Map.of(), dir))) {
            assertEquals(Duration.ofSeconds(5), kavach.policy().timeout(), "./kavach.conf when $KAVACH_CONFIG is unset");
        }
    }

    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedLoadStillReadsTheSurroundings() throws IOException {
        Map<String, String> environment = surroundings();
        try (Kavach kavach = Kavach.load(new KavachOptions(null, Map.of(), environment, dir))) {
            assertEquals(64, kavach.policy().memoryMiB());
            assertTrue(kavach.backends().stream().anyMatch(b -> b.id().equals("acme")));
        }
    }

    /** kavach.conf's memory and timeout reach a request that set no policy; a request's own policy and timeout win. */
    @Test
    void requestsWithoutAPolicyRunUnderTheConfiguredOne() throws IOException {
        TestPlugins.plugin("acme-plugin", "acme").writeTo(Files.createDirectories(dir.resolve("my-plugins")).resolve("acme.jar"));
        Path conf = TestPlugins.writeFile(dir.resolve("app.conf"), """
                kavach { backend = acme, plugins.dir = my-plugins, timeout = 7s, policy { preset = basic, memory = 300M } }
                """);
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withWorkingDirectory(dir).withConfigFile(conf))) {
            assertEquals("memory=300 timeout=7000 inherits=false", kavach.run("report-policy").stdoutText(),
                    "the backend receives the configured policy, never an 'inherit' marker");
            try (Sandbox sandbox = kavach.open()) {
                assertEquals("memory=300 timeout=7000 inherits=false", sandbox.exec(ExecRequest.builder("report-policy").env("A", "b").build()).stdoutText(),
                        "a builder without a policy inherits too");
                assertEquals("memory=300 timeout=2000 inherits=false",
                        sandbox.exec(ExecRequest.of("report-policy").withTimeout(Duration.ofSeconds(2))).stdoutText(),
                        "the request's own timeout wins over the configured policy's");
                assertEquals("memory=1024 timeout=30000 inherits=false",
                        sandbox.exec(ExecRequest.of("report-policy").withPolicy(SandboxPolicy.basic())).stdoutText(),
                        "a policy the request set is its own, even the basic preset");
                assertEquals("memory=300 timeout=7000 inherits=false",
                        sandbox.exec(ExecRequest.of("report-policy"), (stream, data, offset, length) -> { }).stdoutText());
            }
            assertEquals(List.of("acme-run", "acme", "report-policy"), kavach.commandLine(ExecRequest.of("report-policy")).orElseThrow());
            assertEquals("memory=300 timeout=7000 inherits=false", kavach.run(ExecRequest.of("report-policy")).stdoutText());
        }
    }

    @Test
    void noNullBackendIds() {
        try (Kavach kavach = Kavach.create()) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> kavach.open((String) null));
            assertEquals("backendId is null: name a backend, or call open() for the configured one", e.getMessage());
            assertTrue(assertThrows(NullPointerException.class, () -> kavach.select((String) null)).getMessage().contains("select()"));
            assertTrue(assertThrows(NullPointerException.class, () -> kavach.commandLine(null, ExecRequest.of("x"))).getMessage()
                    .contains("commandLine(request)"));
            assertTrue(assertThrows(NullPointerException.class, () -> kavach.dryRunDetails(null, ExecRequest.of("x"))).getMessage()
                    .contains("dryRunDetails(request)"));
            assertEquals("noop", kavach.select("noop").id());
            assertEquals(Map.of(), kavach.dryRunDetails("noop", ExecRequest.of("x")));
        }
    }

    /** The blocking exec on virtual threads, 50 at once, and the future-returning variant. */
    @Test
    void fiftyExecsOnVirtualThreadsAtOnce() throws Exception {
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withOverride("kavach.backend", "noop")
                .withOverride("kavach.backends.noop.stdout", "hi"));
             Sandbox sandbox = kavach.open()) {
            List<Future<ExecResult>> results = new ArrayList<>();
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 50; i++) {
                    results.add(executor.submit(() -> sandbox.exec(ExecRequest.of("echo", "hi"))));
                }
            }
            for (Future<ExecResult> result : results) {
                assertEquals("hi", result.get().stdoutText());
            }
            List<CompletableFuture<ExecResult>> futures = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                futures.add(sandbox.execAsync(ExecRequest.of("echo", "hi")));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
            for (CompletableFuture<ExecResult> future : futures) {
                assertEquals("hi", future.join().stdoutText());
            }
            sandbox.close();
            java.util.concurrent.ExecutionException closed = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> sandbox.execAsync(ExecRequest.of("echo")).get());
            assertTrue(closed.getCause() instanceof dev.kavach.api.SandboxStateException, closed.toString());
        }
    }

    @Test
    void backendsReceiveTheProgressTheEmbedderGave() {
        List<String> started = new ArrayList<>();
        Progress progress = (what, total) -> {
            started.add(what + "/" + total);
            return Progress.none().start(what, total);
        };
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withProgress(progress))) {
            kavach.contextFor("noop").progress().start("fetching", 10).close();
            assertEquals(List.of("fetching/10"), started);
        }
        try (Kavach kavach = Kavach.create()) {
            assertEquals(Progress.none(), kavach.contextFor("noop").progress());
        }
    }

    private static void restore(String key, String previous) {
        if (previous == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, previous);
        }
        com.typesafe.config.ConfigFactory.invalidateCaches();
    }
}
