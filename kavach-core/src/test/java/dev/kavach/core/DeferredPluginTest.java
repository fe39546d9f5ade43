package dev.kavach.core;

import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plugins that declare their backends in their manifest ({@code Kavach-Backends}) load only when one of them
 * is needed: never for {@code Kavach.create}, never for another backend named, never for {@code auto} when a
 * declared need is unmet, and always for {@code backends()} and {@code plugins()}, which list everything.
 * Each test plugin writes a marker file from its provider's constructor: the proof that its classes loaded.
 */
class DeferredPluginTest {
    @TempDir
    Path dir;

    private Path plugins() throws IOException {
        return Files.createDirectories(dir.resolve("plugins"));
    }

    private Kavach load(String conf) {
        return Kavach.create(KavachOptions.builtIn().withConfigFile(TestPlugins.writeFile(dir.resolve("kavach.conf"),
                "kavach.plugins.dir = " + dir.resolve("plugins") + "\n" + conf)).withWorkingDirectory(dir));
    }

    /** {@code acme} (strength 400, needs the file its {@code device} setting names), deferred; marker {@code acme.loaded}. */
    private Path deferredAcme() throws IOException {
        TestPlugins.plugin("acme-plugin", "acme").strength(400).declares("acme; strength=400; needs-file=device")
                .reference("kavach.backends.acme { greeting = \"from reference.conf\", available = true, device = \"\" }\n")
                .markLoadIn(dir.resolve("acme.loaded")).writeTo(plugins().resolve("acme.jar"));
        return dir.resolve("acme.loaded");
    }

    /** {@code plain} (strength 150), without a declaration: loaded at once; marker {@code plain.loaded}. */
    private Path eagerPlain() throws IOException {
        TestPlugins.plugin("plain-plugin", "plain").strength(150).markLoadIn(dir.resolve("plain.loaded")).writeTo(plugins().resolve("plain.jar"));
        return dir.resolve("plain.loaded");
    }

    @Test
    void autoPassesOverADeclaredBackendWhoseNeedIsUnmetWithoutLoadingItsPluginYetListsIt() throws IOException {
        Path acmeLoaded = deferredAcme();
        Path plainLoaded = eagerPlain();
        try (Kavach kavach = load("")) {
            assertTrue(Files.exists(plainLoaded), "a plugin without Kavach-Backends loads with Kavach");
            assertFalse(Files.exists(acmeLoaded), "a declaring plugin waits until one of its backends is needed");
            assertEquals("plain", kavach.select().id());
            assertFalse(Files.exists(acmeLoaded), "auto must not load a plugin whose backend cannot be available (device unset)");
            // Its reference.conf is known without loading it: settings and their origins are as before.
            assertEquals("from reference.conf", kavach.contextFor("acme").settings().string("greeting", ""));
            assertFalse(Files.exists(acmeLoaded));

            // backends() lists everything, so it loads the plugin; the backend is then there, probed as ever.
            BackendEntry acme = kavach.backends().stream().filter(b -> b.id().equals("acme")).findFirst().orElseThrow();
            assertTrue(Files.exists(acmeLoaded));
            assertEquals(400, acme.info().strength());
            assertEquals("plugin acme-plugin (plugins/acme.jar)", acme.origin().describe());
            PluginReport report = kavach.plugins().stream().filter(p -> p.pluginId().equals("acme-plugin")).findFirst().orElseThrow();
            assertEquals(PluginState.LOADED, report.state(), report.toString());
            assertEquals(List.of("acme"), report.backendIds());
            assertEquals(List.of(), report.diagnostics());
        }
    }

    @Test
    void pluginsListsADeferredPluginAsLoaded() throws IOException {
        Path acmeLoaded = deferredAcme();
        try (Kavach kavach = load("")) {
            assertFalse(Files.exists(acmeLoaded));
            PluginReport report = kavach.plugins().get(0);
            assertEquals(new PluginReport(plugins().resolve("acme.jar"), "acme-plugin", "1.0.0", PluginState.LOADED, List.of("acme"), List.of()),
                    report);
            assertTrue(Files.exists(acmeLoaded));
        }
    }

    @Test
    void autoLoadsADeclaredBackendWhoseNeedIsMetAndPicksIt() throws IOException {
        Path acmeLoaded = deferredAcme();
        eagerPlain();
        Path device = TestPlugins.writeFile(dir.resolve("dev-acme"), "");
        try (Kavach kavach = load("kavach.backends.acme.device = \"" + device + "\"\n")) {
            assertFalse(Files.exists(acmeLoaded));
            assertEquals("acme", kavach.select().id());
            assertTrue(Files.exists(acmeLoaded));
            try (Sandbox sandbox = kavach.open()) {
                assertEquals("acme|from reference.conf|echo hi", sandbox.exec(ExecRequest.of("echo", "hi")).stdoutText());
            }
        }
    }

    @Test
    void aNeedNamingAMissingFileIsUnmetToo() throws IOException {
        Path acmeLoaded = deferredAcme();
        eagerPlain();
        try (Kavach kavach = load("kavach.backends.acme.device = \"" + dir.resolve("no-such-device") + "\"\n")) {
            assertEquals("plain", kavach.select().id());
            assertFalse(Files.exists(acmeLoaded));
        }
    }

    @Test
    void namingAnotherBackendNeverLoadsADeferredPlugin() throws IOException {
        Path acmeLoaded = deferredAcme();
        eagerPlain();
        Path device = TestPlugins.writeFile(dir.resolve("dev-acme"), "");
        // acme could win auto here, but plain is named.
        try (Kavach kavach = load("kavach.backend = plain\nkavach.backends.acme.device = \"" + device + "\"\n")) {
            assertEquals("plain", kavach.select().id());
            try (Sandbox sandbox = kavach.open("plain")) {
                assertEquals("plain|from reference.conf|true", sandbox.exec(ExecRequest.of("true")).stdoutText());
            }
            assertEquals(List.of("acme-run", "plain", "true"), kavach.commandLine("plain", ExecRequest.of("true")).orElseThrow());
            assertFalse(Files.exists(acmeLoaded));
            // ... and naming a deferred backend loads exactly its plugin.
            assertEquals("acme", kavach.select("acme").id());
            assertTrue(Files.exists(acmeLoaded));
        }
    }

    @Test
    void aConfigurationNamingADeclaredBackendIsNoUnknownBackend() throws IOException {
        Path acmeLoaded = deferredAcme();
        try (Kavach kavach = load("kavach.fallback = [acme]\nkavach.backends.acme.greeting = hi\n")) {
            assertFalse(Files.exists(acmeLoaded));
            assertEquals("hi", kavach.contextFor("acme").settings().string("greeting", ""));
        }
        // The plugin's reference.conf declares its keys without loading it: a typo is refused as before.
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> load("kavach.backends.acme.greting = hi\n"));
        assertTrue(e.getMessage().contains("kavach.backends.acme.greting"), e.getMessage());
        assertFalse(Files.exists(acmeLoaded));
    }

    @Test
    void aDeclarationTheProviderDoesNotKeepIsThePluginsDiagnostic() throws IOException {
        TestPlugins.plugin("liar-plugin", "liar").strength(200).declares("liar; strength=900, ghost; strength=50")
                .writeTo(plugins().resolve("liar.jar"));
        try (Kavach kavach = load("")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> kavach.select("ghost"));
            assertEquals("backend 'ghost' (the requested backend) is declared by plugin liar-plugin (plugins/liar.jar), which could not "
                    + "provide it: it provides no backend 'ghost'", e.getMessage());
            assertEquals("run kavach plugins for the plugin's diagnostics and their fixes", e.fix());
            PluginReport report = kavach.plugins().get(0);
            assertEquals(PluginState.LOADED, report.state());
            assertEquals(List.of("liar"), report.backendIds());
            List<String> reasons = report.diagnostics().stream().map(PluginDiagnostic::reason).toList();
            assertEquals(List.of(
                    "plugin 'liar-plugin' declares backend 'liar' with strength 900 in Kavach-Backends, but its provider says 200",
                    "plugin 'liar-plugin' declares backend 'ghost' in Kavach-Backends, but provides no backend with that id"), reasons);
        }
    }

    @Test
    void aDeferredPluginThatFailsToLoadIsReportedWhenItsBackendIsNamed() throws IOException {
        TestPlugins.plugin("broken-plugin", "broken").declares("broken; strength=150").failIn("constructor")
                .writeTo(plugins().resolve("broken.jar"));
        eagerPlain();
        try (Kavach kavach = load("")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> kavach.select("broken"));
            assertTrue(e.getMessage().startsWith("backend 'broken' (the requested backend) is declared by plugin broken-plugin "
                    + "(plugins/broken.jar), which could not provide it"), e.getMessage());
            // auto goes on to the next backend, and the plugin's problem is listed as ever.
            assertEquals("plain", kavach.select().id());
            PluginReport report = kavach.plugins().stream().filter(p -> "broken-plugin".equals(p.pluginId())).findFirst().orElseThrow();
            assertTrue(report.diagnostics().stream().anyMatch(d -> d.reason().contains("acme constructor exploded")), report.toString());
        }
    }

    @Test
    void aMalformedDeclarationOnlyCostsTheDeferralAndSaysWhy() throws IOException {
        Path loaded = dir.resolve("typo.loaded");
        TestPlugins.plugin("typo-plugin", "typo").declares("typo; strenght=100").markLoadIn(loaded).writeTo(plugins().resolve("typo.jar"));
        try (Kavach kavach = load("")) {
            // Loaded on every start, as a plugin without the entry: a typo or a later Kavach's attribute never takes its backend away.
            assertTrue(Files.exists(loaded), "the plugin loaded eagerly");
            PluginReport report = kavach.plugins().get(0);
            assertNotEquals(PluginState.FAILED, report.state(), report.toString());
            assertTrue(report.backendIds().contains("typo"), report.toString());
            PluginDiagnostic diagnostic = report.diagnostics().get(0);
            assertEquals("plugin 'typo-plugin' has an invalid Kavach-Backends 'typo; strenght=100': backend 'typo' has an unknown attribute "
                    + "'strenght=100' (known: strength, needs-file)", diagnostic.reason());
            assertTrue(diagnostic.fix().startsWith("write it as Kavach-Backends: <id>; strength=<n>"), diagnostic.fix());
        }
    }

    @Test
    void aPluginOthersDependOnLoadsAtOnceEvenWhenItDeclaresItsBackends() throws IOException {
        TestPlugins.plugin("base-plugin", "base").declares("base; strength=150").markLoadIn(dir.resolve("base.loaded"))
                .writeTo(plugins().resolve("base.jar"));
        // non-modular, so that its automatic module name (from the file name) differs from base's module
        TestPlugins.plugin("user-plugin", "user").nonModular().manifest("Plugin-Dependencies", "base-plugin")
                .writeTo(plugins().resolve("user.jar"));
        try (Kavach kavach = load("kavach.backend = user\n")) {
            assertTrue(Files.exists(dir.resolve("base.loaded")), "a layer's parents must exist before it");
            assertEquals("user", kavach.select().id());
        }
    }

    @Test
    void twoPluginsDeclaringOneIdTheFirstLoadedWinsAndBothAreNamed() throws IOException {
        TestPlugins.plugin("first-plugin", "same").declares("same; strength=150").writeTo(plugins().resolve("first.jar"));
        TestPlugins.plugin("second-plugin", "same").declares("same; strength=150").writeTo(plugins().resolve("second.jar"));
        try (Kavach kavach = load("")) {
            String winner = kavach.select("same").origin().pluginId();
            String loser = winner.equals("first-plugin") ? "second-plugin" : "first-plugin";
            PluginReport report = kavach.plugins().stream().filter(p -> loser.equals(p.pluginId())).findFirst().orElseThrow();
            assertEquals(PluginState.FAILED, report.state(), "as when both load at once: the loser contributes nothing");
            String reason = report.diagnostics().get(0).reason();
            assertTrue(reason.startsWith("backend id 'same' of Kavach-Backends (plugin " + loser + " (plugins/" + loser.replace("-plugin", "")
                    + ".jar)) is already provided by the declaration of plugin " + winner), reason);
        }
    }

    @Test
    void whatAPluginsJarsSayIsRememberedInTheUsersCacheUntilAJarChanges() throws IOException {
        Path cacheHome = dir.resolve("cache");
        Path jar = TestPlugins.plugin("acme-plugin", "acme").strength(400).declares("acme; strength=400").writeTo(plugins().resolve("acme.jar"));
        KavachOptions options = KavachOptions.builtIn().withOverride("kavach.plugins.dir", plugins().toString())
                .withEnvironment(Map.of("XDG_CACHE_HOME", cacheHome.toString())).withWorkingDirectory(dir);
        try (Kavach kavach = Kavach.create(options)) {
            assertEquals(List.of("acme"), kavach.plugins().get(0).backendIds());
        }
        Path store = cacheHome.resolve("kavach/host-probes");
        List<Path> remembered;
        try (var files = Files.list(store)) {
            remembered = files.toList();
        }
        assertEquals(1, remembered.size(), "one answer for the plugin's one JAR: " + remembered);
        assertTrue(Files.readString(remembered.get(0)).contains("kavach-plugin-jars-1"));

        // The same JAR rewritten (another declaration): another key, so it is read anew and remembered beside.
        TestPlugins.plugin("acme-plugin", "acme").strength(400).declares("acme; strength=400; needs-file=device")
                .reference("kavach.backends.acme { greeting = hi, available = true, device = \"\" }\n").writeTo(jar);
        try (Kavach kavach = Kavach.create(options.withOverride("kavach.backend", "auto"))) {
            assertThrows(NoBackendAvailableException.class, kavach::select, "needs-file=device, unset: auto passes acme over");
            assertEquals("hi", kavach.contextFor("acme").settings().string("greeting", ""));
        }
        try (var files = Files.list(store)) {
            assertEquals(2, files.count());
        }
        // A JAR that cannot be read is reported, and nothing is remembered of it.
        Files.write(plugins().resolve("broken.jar"), new byte[] {'P', 'K', 3, 4, 0});
        try (Kavach kavach = Kavach.create(options)) {
            PluginReport broken = kavach.plugins().stream().filter(p -> p.path().getFileName().toString().equals("broken.jar"))
                    .findFirst().orElseThrow();
            assertEquals(PluginState.FAILED, broken.state());
        }
        try (var files = Files.list(store)) {
            assertEquals(2, files.count());
        }
    }
}
