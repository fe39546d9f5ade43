package dev.kavach.core;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration: defaults, every key mapped, precedence, where the user's file comes from, and eager validation. */
class ConfigurationTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearSystemProperties() {
        System.clearProperty("kavach.timeout");
        System.clearProperty("kavach.policy.preset");
    }

    private Kavach load(String conf, Map<String, String> overrides, Map<String, String> env) {
        Path file = conf == null ? null : TestPlugins.writeFile(dir.resolve("my.conf"), conf);
        return Kavach.load(new KavachOptions(file, overrides, env, dir));
    }

    private Kavach load(String conf) {
        return load(conf, Map.of(), Map.of());
    }

    private ConfigurationException rejects(String conf) {
        return assertThrows(ConfigurationException.class, () -> load(conf).close());
    }

    @Test
    void defaults() {
        try (Kavach kavach = load(null)) {
            KavachSettings settings = kavach.settings();
            assertEquals("auto", settings.backend());
            assertEquals(List.of(), settings.fallback());
            assertEquals(java.util.Optional.of(dir.resolve("plugins")), settings.pluginsDir());
            assertEquals(Path.of(System.getProperty("user.home"), ".cache", "kavach"), settings.stateDir());
            assertEquals(SandboxPolicy.basic(), settings.policy());
            assertEquals(settings.policy(), kavach.policy());
            assertEquals("0.1.0", kavach.version());
        }
    }

    @Test
    void everyKeyIsMapped() {
        try (Kavach kavach = load("""
                kavach {
                  backend = noop
                  fallback = [noop]
                  plugins.dir = "my-plugins"
                  state-dir = /var/cache/k
                  timeout = 90s
                  policy {
                    preset = strict
                    cpus = 1.5
                    memory = 256M
                    max-pids = 32
                    network = true
                    read-only-root = false
                    seccomp = basic
                    output-limit = 64K
                    max-open-files = 99
                    max-file-size = 2G
                    transfer-limit = 3M
                  }
                }
                """)) {
            KavachSettings settings = kavach.settings();
            assertEquals("noop", settings.backend());
            assertEquals(List.of("noop"), settings.fallback());
            assertEquals(java.util.Optional.of(dir.resolve("my-plugins")), settings.pluginsDir());
            assertEquals(Path.of("/var/cache/k"), settings.stateDir());
            SandboxPolicy expected = SandboxPolicy.strict().withTimeout(Duration.ofSeconds(90)).withCpus(1.5).withMemoryMiB(256).withMaxPids(32)
                    .withNetwork(true).withReadOnlyRoot(false).withSeccomp(SeccompProfile.BASIC).withOutputLimitBytes(64 * 1024)
                    .withMaxOpenFiles(99).withMaxFileSizeBytes(2L << 30).withTransferLimitBytes(3L << 20);
            assertEquals(expected, settings.policy());
            assertEquals(Path.of("/var/cache/k/noop"), kavach.contextFor("noop").stateDir());
        }
    }

    @Test
    void presetsMapWithoutOverrides() {
        for (String preset : SandboxPolicy.PRESETS) {
            try (Kavach kavach = load("kavach.policy.preset = " + preset + "\nkavach.timeout = 5s\n")) {
                assertEquals(SandboxPolicy.preset(preset).withTimeout(Duration.ofSeconds(5)), kavach.policy());
            }
        }
    }

    @Test
    void precedenceIsOverridesThenSystemPropertiesThenFileThenReference() {
        System.setProperty("kavach.timeout", "20s");
        System.setProperty("kavach.policy.preset", "minimal");
        try (Kavach kavach = load("kavach.timeout = 10s\nkavach.policy.preset = strict\nkavach.policy.max-pids = 7\n",
                Map.of("kavach.timeout", "40s"), Map.of())) {
            assertEquals(Duration.ofSeconds(40), kavach.policy().timeout(), "override beats system property");
            assertEquals(SandboxPolicy.minimal().maxPids(), 0);
            assertEquals(true, kavach.policy().network(), "system property preset minimal beats the file's strict");
            assertEquals(7, kavach.policy().maxPids(), "the file beats the reference");
            assertEquals(SandboxPolicy.basic().outputLimitBytes(), kavach.policy().outputLimitBytes());
        }
        System.clearProperty("kavach.timeout");
        try (Kavach kavach = load("kavach.timeout = 10s\n")) {
            assertEquals(Duration.ofSeconds(10), kavach.policy().timeout(), "the file beats core's reference.conf");
        }
    }

    @Test
    void userFileComesFromKavachConfigEnvThenWorkingDirectory() throws IOException {
        Path fromEnv = TestPlugins.writeFile(dir.resolve("env.conf"), "kavach.timeout = 11s\n");
        Files.writeString(dir.resolve("kavach.conf"), "kavach.timeout = 12s\n");
        try (Kavach kavach = load(null, Map.of(), Map.of("KAVACH_CONFIG", fromEnv.toString()))) {
            assertEquals(Duration.ofSeconds(11), kavach.policy().timeout());
        }
        try (Kavach kavach = load(null)) {
            assertEquals(Duration.ofSeconds(12), kavach.policy().timeout());
        }
        try (Kavach kavach = load("kavach.timeout = 13s\n", Map.of(), Map.of("KAVACH_CONFIG", fromEnv.toString()))) {
            assertEquals(Duration.ofSeconds(13), kavach.policy().timeout(), "an explicit file beats KAVACH_CONFIG");
        }
    }

    @Test
    void missingExplicitFileIsAnError() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Kavach.load(new KavachOptions(Path.of("nope.conf"), Map.of(), Map.of(), dir)));
        assertEquals("configuration file " + dir.resolve("nope.conf") + " does not exist or is not a regular file", e.getMessage());
    }

    @Test
    void substitutionsUseTheGivenEnvironment() {
        try (Kavach kavach = load("kavach.state-dir = ${CACHE_ROOT}/k\n", Map.of(), Map.of("CACHE_ROOT", "/srv/cache"))) {
            assertEquals(Path.of("/srv/cache/k"), kavach.settings().stateDir());
        }
    }

    @Test
    void misspeltKeyNamesKeyOriginAcceptedKeysAndSuggestion() {
        ConfigurationException e = rejects("kavach {\n  polcy.memory = 512M\n}\n");
        assertTrue(e.getMessage().startsWith("unknown setting kavach.polcy.memory (set at " + dir.resolve("my.conf") + ": 2); "
                + "did you mean kavach.policy.memory?"), e.getMessage());
        assertTrue(e.getMessage().contains("accepted keys: kavach.backend, kavach.backends.<id>.*, kavach.fallback"), e.getMessage());
        assertEquals("rename or remove kavach.polcy.memory (did you mean kavach.policy.memory?)", e.fix());
    }

    @Test
    void unknownKeyWithoutCloseMatchListsAcceptedKeys() {
        ConfigurationException e = rejects("kavach.colour = blue\n");
        assertTrue(e.getMessage().startsWith("unknown setting kavach.colour (set at " + dir.resolve("my.conf") + ": 1)\n  accepted keys:"),
                e.getMessage());
    }

    @Test
    void badDurationNamesKeyOriginAndAcceptedValues() {
        ConfigurationException e = rejects("kavach.timeout = soon\n");
        assertEquals("invalid value 'soon' for kavach.timeout (set at " + dir.resolve("my.conf") + ": 1): expected " + BackendSettings.DURATIONS,
                e.getMessage());
    }

    @Test
    void badSizeNamesKeyOriginAndAcceptedValues() {
        ConfigurationException e = rejects("kavach.policy.output-limit = lots\n");
        assertTrue(e.getMessage().startsWith("invalid value 'lots' for kavach.policy.output-limit (set at " + dir.resolve("my.conf")
                + ": 1): expected " + BackendSettings.SIZES), e.getMessage());
    }

    @Test
    void transferLimitIsBoundedAlways() {
        ConfigurationException zero = rejects("kavach.policy.transfer-limit = 0\n");
        assertTrue(zero.getMessage().startsWith("kavach.policy.transfer-limit = 0 (set at " + dir.resolve("my.conf")
                + ": 1) must be more than 0"), zero.getMessage());
        assertTrue(rejects("kavach.policy.transfer-limit = -1M\n").getMessage().contains("must not be negative"));
        try (Kavach kavach = load("")) {
            assertEquals(SandboxPolicy.DEFAULT_TRANSFER_LIMIT_BYTES, kavach.policy().transferLimitBytes());
        }
    }

    @Test
    void negativeMemoryIsRejected() {
        ConfigurationException e = rejects("kavach.policy.memory = -512M\n");
        assertTrue(e.getMessage().startsWith("invalid value '-512M' for kavach.policy.memory (set at " + dir.resolve("my.conf")
                + ": 1): must not be negative"), e.getMessage());
        assertTrue(rejects("kavach.policy.memory = 4K\n").getMessage().contains("at least 1M"));
    }

    @Test
    void unknownPresetSuggestsTheClosest() {
        ConfigurationException e = rejects("kavach.policy.preset = strikt\n");
        assertEquals("invalid value 'strikt' for kavach.policy.preset (set at " + dir.resolve("my.conf")
                + ": 1): expected minimal, basic, strict; did you mean 'strict'?", e.getMessage());
        assertEquals("set kavach.policy.preset to strict", e.fix());
    }

    @Test
    void otherBadValuesAreRejected() {
        assertTrue(rejects("kavach.policy.cpus = -1\n").getMessage().contains("kavach.policy.cpus"));
        assertTrue(rejects("kavach.policy.network = maybe\n").getMessage().contains("expected true or false"));
        assertTrue(rejects("kavach.policy.seccomp = paranoid\n").getMessage().contains("expected none, basic or strict"));
        assertTrue(rejects("kavach.policy.max-pids = -3\n").getMessage().contains("must not be negative"));
        assertTrue(rejects("kavach.timeout = 0s\n").getMessage().contains("kavach.timeout"));
        assertTrue(rejects("kavach.policy = strict\n").getMessage().startsWith("unknown setting kavach.policy "));
        assertTrue(rejects("kavach = 5\n").getMessage().startsWith("kavach (set at "));
    }

    /** An unknown backend id does not stop loading (the commands that explain why still work); opening a sandbox refuses it. */
    private ConfigurationException rejectsAtOpen(String conf) {
        try (Kavach kavach = load(conf)) {
            kavach.backends();
            kavach.plugins();
            kavach.renderConfig();
            return assertThrows(ConfigurationException.class, () -> kavach.open());
        }
    }

    @Test
    void unknownBackendIdIsRejectedWithKnownIds() {
        ConfigurationException e = rejectsAtOpen("kavach.backend = nop\n");
        assertTrue(e.getMessage().startsWith("unknown backend 'nop' in kavach.backend (set at " + dir.resolve("my.conf")
                + ": 1); did you mean 'noop'?\n  known backends: auto, noop"), e.getMessage());
        assertTrue(rejectsAtOpen("kavach.fallback = [noop, sev]\n").getMessage().startsWith("unknown backend 'sev' in kavach.fallback"));
        assertTrue(rejectsAtOpen("kavach.backends.nop.exit-code = 1\n").getMessage().startsWith("unknown backend 'nop' in kavach.backends.nop.exit-code"));
    }

    @Test
    void aBackendsUndeclaredKeyIsRejectedByNameWithTheClosestDeclaredOne() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> load(null, Map.of("kavach.backends.noop.exitcode", "1"), Map.of()).close());
        assertEquals("unknown setting kavach.backends.noop.exitcode (set at command-line override); did you mean kavach.backends.noop.exit-code?; "
                + "backend 'noop' accepts exit-code, stderr, stdout", e.getMessage());
        assertEquals("rename it to kavach.backends.noop.exit-code, or remove it (a backend's settings are the keys its reference.conf declares)", e.fix());
        e = rejects("kavach.backends.noop {\n  nonsense = 1\n}\n");
        assertTrue(e.getMessage().startsWith("unknown setting kavach.backends.noop.nonsense (set at " + dir.resolve("my.conf") + ": 2); backend 'noop' accepts"),
                e.getMessage());
    }

    @Test
    void syntaxErrorNamesTheFile() {
        ConfigurationException e = rejects("kavach { backend = \n");
        assertTrue(e.getMessage().startsWith("cannot parse configuration file " + dir.resolve("my.conf")), e.getMessage());
    }

    @Test
    void backendSettingsAreFlattenedWithListsAndOrigins() {
        com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.parseString(
                "kavach.backends.noop {\n  exit-code = 3\n  stdout = hi\n  nested.key = true\n  args = [a, 2]\n}\n",
                com.typesafe.config.ConfigParseOptions.defaults().setOriginDescription("my.conf"));
        BackendSettings settings = new dev.kavach.core.config.SettingsReader(config).backendSettings("noop");
        assertEquals("kavach.backends.noop", settings.prefix());
        assertEquals(Map.of("exit-code", "3", "stdout", "hi", "nested.key", "true"), settings.values());
        assertEquals(List.of("a", "2"), settings.list("args"));
        assertEquals("my.conf: 2", settings.origin("exit-code"));
        try (Kavach kavach = load("kavach.backends.noop {\n  exit-code = 3\n}\n")) {
            BackendSettings loaded = kavach.contextFor("noop").settings();
            assertEquals(dir.resolve("my.conf") + ": 2", loaded.origin("exit-code"));
            assertTrue(loaded.origin("stderr").contains("reference.conf"), loaded.origin("stderr"));
            assertEquals(0, kavach.contextFor("process-like").settings().keys().size(), "no settings for an unconfigured id");
        }
    }

    @Test
    void fallbackAcceptsACommaSeparatedOverride() {
        try (Kavach kavach = load(null, Map.of("kavach.fallback", "noop, noop"), Map.of())) {
            assertEquals(List.of("noop", "noop"), kavach.settings().fallback());
        }
    }

    @Test
    void renderedConfigShowsValuesWithOrigins() {
        try (Kavach kavach = load("kavach.timeout = 45s\n")) {
            String rendered = kavach.renderConfig();
            assertTrue(rendered.contains("my.conf: 1"), rendered);
            assertTrue(rendered.contains("timeout=\"45s\"") || rendered.contains("timeout = \"45s\"") || rendered.contains("timeout=45s"), rendered);
            assertTrue(rendered.contains("# reference.conf in kavach-core"), rendered);
        }
    }
}
