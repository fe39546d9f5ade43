package dev.kavach.core;

import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ProbeCheck;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backend selection with plugin backends of different strengths: {@code strong} (400), {@code weak} (150)
 * and the built-in {@code noop} (0). Each plugin backend is unavailable when its {@code available} setting is false.
 */
class SelectionTest {
    @TempDir
    Path dir;

    @BeforeEach
    void plugins() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        TestPlugins.plugin("strong-plugin", "strong").strength(400).writeTo(plugins.resolve("strong.jar"));
        TestPlugins.plugin("weak-plugin", "weak").strength(150).writeTo(plugins.resolve("weak.jar"));
    }

    private Kavach load(String conf) {
        return Kavach.load(new KavachOptions(TestPlugins.writeFile(dir.resolve("kavach.conf"), conf), Map.of(), Map.of(), dir));
    }

    @Test
    void autoPicksTheStrongestAvailable() {
        try (Kavach kavach = load("kavach.backend = auto\n")) {
            assertEquals("strong", kavach.select().id());
        }
        try (Kavach kavach = load("kavach.backends.strong.available = false\n")) {
            assertEquals("weak", kavach.select().id());
        }
    }

    @Test
    void autoNeverPicksNoopAndSaysWhy() {
        try (Kavach kavach = load("kavach.backends.strong.available = false\nkavach.backends.weak.available = false\n")) {
            NoBackendAvailableException e = assertThrows(NoBackendAvailableException.class, () -> kavach.select());
            // One line naming the backend nearest to usable (fewest problems; the weaker on a tie) and its fix, not every check.
            assertEquals("no backend that isolates commands is available here; the nearest, weak, lacks acme-device: /dev/acme is missing"
                    + " (and 1 more)", e.getMessage());
            assertEquals("load the acme kernel module", e.fix());
            assertFalse(e.oneLine().contains("\n"), e.oneLine());
            // Every check of every backend stays available to a caller (and to kavach backends).
            List<String> checks = e.availability().problems().stream().map(p -> p.name() + ": " + p.detail()).toList();
            assertTrue(checks.contains("strong: acme-device: /dev/acme is missing"), checks.toString());
            assertTrue(checks.contains("weak: acme-tool: acme-tool is not on PATH"), checks.toString());
            assertTrue(checks.stream().anyMatch(c -> c.contains("noop isolates nothing and is never chosen automatically")), checks.toString());
        }
    }

    @Test
    void explicitIdIsUsedEvenIfWeaker() {
        try (Kavach kavach = load("kavach.backend = weak\n")) {
            assertEquals("weak", kavach.select().id());
            assertEquals("noop", kavach.select("noop").id());
        }
    }

    @Test
    void explicitUnavailableIdCarriesEveryReasonAndFixAndTheAvailableIds() {
        try (Kavach kavach = load("kavach.backends.strong.available = false\n")) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> kavach.select("strong"));
            assertEquals("""
                    backend 'strong' is unavailable on this host
                      - acme-device: /dev/acme is missing (fix: load the acme kernel module)
                      - acme-tool: acme-tool is not on PATH (fix: apt-get install acme-tool)
                      available backends: noop, weak""", e.getMessage());
            assertEquals("load the acme kernel module; apt-get install acme-tool", e.fix());
            assertEquals(List.of("acme-device", "acme-tool"), e.availability().problems().stream().map(ProbeCheck::name).toList());
            assertThrows(BackendUnavailableException.class, () -> kavach.open("strong"));
        }
    }

    @Test
    void unknownIdListsKnownIds() {
        try (Kavach kavach = load("")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> kavach.select("stron"));
            assertTrue(e.getMessage().startsWith("unknown backend 'stron' (the requested backend); did you mean 'strong'?\n  known backends: noop, strong, weak"),
                    e.getMessage());
        }
    }

    @Test
    void fallbackFirstAvailableWins() {
        try (Kavach kavach = load("kavach.backend = strong\nkavach.backends.strong.available = false\nkavach.fallback = [weak, noop]\n")) {
            assertEquals("weak", kavach.select().id());
        }
        try (Kavach kavach = load("""
                kavach.backend = strong
                kavach.backends.strong.available = false
                kavach.backends.weak.available = false
                kavach.fallback = [weak, noop]
                """)) {
            assertEquals("noop", kavach.select().id());
        }
        try (Kavach kavach = load("""
                kavach.backends.strong.available = false
                kavach.backends.weak.available = false
                kavach.fallback = [noop]
                """)) {
            assertEquals("noop", kavach.select().id(), "auto falls back too");
        }
    }

    @Test
    void configuredUnavailableWithoutUsableFallbackReportsTheConfiguredBackend() {
        try (Kavach kavach = load("kavach.backend = strong\nkavach.backends.strong.available = false\nkavach.backends.weak.available = false\nkavach.fallback = [weak]\n")) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> kavach.select());
            assertTrue(e.getMessage().startsWith("backend 'strong' is unavailable on this host"), e.getMessage());
        }
    }

    @Test
    void backendsAreProbedOnceAndListed() {
        try (Kavach kavach = load("")) {
            List<BackendEntry> first = kavach.backends();
            assertEquals(List.of("noop", "strong", "weak"), first.stream().map(BackendEntry::id).toList());
            assertEquals(first, kavach.backends());
            assertEquals(BackendOrigin.BUILT_IN, first.get(0).origin());
            assertEquals("built-in", first.get(0).origin().describe());
        }
    }

    @Test
    void dryRunDescribesANamedBackendEvenWhereItIsUnavailable() {
        try (Kavach kavach = load("kavach.backends.strong.available = false\n")) {
            assertThrows(BackendUnavailableException.class, () -> kavach.open("strong"));
            assertEquals(java.util.Optional.of(List.of("acme-run", "strong", "uname", "-a")),
                    kavach.commandLine("strong", ExecRequest.of("uname", "-a")));
            // Without an id the dry run describes what `run` would select.
            assertEquals(java.util.Optional.of(List.of("acme-run", "weak", "true")), kavach.commandLine(ExecRequest.of("true")));
            ConfigurationException unknown = assertThrows(ConfigurationException.class, () -> kavach.commandLine("nope", ExecRequest.of("true")));
            assertTrue(unknown.getMessage().contains("unknown backend 'nope'"), unknown.getMessage());
        }
    }
}
