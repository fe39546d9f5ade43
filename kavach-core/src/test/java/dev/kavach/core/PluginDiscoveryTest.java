package dev.kavach.core;

import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Third-party plugins compiled at test time against kavach-api alone, dropped into a temporary plugins
 * directory, discovered, selected by configuration and run; and every plugin fault, each beside a good
 * plugin that must keep working.
 */
class PluginDiscoveryTest {
    @TempDir
    Path dir;

    private Path plugins() throws IOException {
        return Files.createDirectories(dir.resolve("plugins"));
    }

    private Kavach load(String conf) {
        Path file = conf == null ? null : TestPlugins.writeFile(dir.resolve("kavach.conf"), conf);
        return Kavach.load(new KavachOptions(file, Map.of(), Map.of(), dir));
    }

    private Path good() throws IOException {
        return TestPlugins.plugin("good-plugin", "good").writeTo(plugins().resolve("good.jar"));
    }

    /** The good plugin beside a bad one still loads, is available and runs a command. */
    private static void assertGoodPluginStillWorks(Kavach kavach) {
        PluginReport report = report(kavach, "good.jar");
        assertEquals(PluginState.LOADED, report.state(), report.toString());
        assertEquals(List.of("good"), report.backendIds());
        assertEquals(List.of(), report.diagnostics());
        try (Sandbox sandbox = kavach.open("good")) {
            ExecResult result = sandbox.exec(ExecRequest.of("true"));
            assertEquals("good|from reference.conf|true", result.stdoutText());
        }
    }

    private static PluginReport report(Kavach kavach, String fileName) {
        return kavach.plugins().stream().filter(r -> r.path().getFileName().toString().equals(fileName)).findFirst()
                .orElseThrow(() -> new AssertionError("no report for " + fileName + " in " + kavach.plugins()));
    }

    private static PluginDiagnostic onlyDiagnostic(PluginReport report) {
        assertEquals(1, report.diagnostics().size(), report.diagnostics().toString());
        return report.diagnostics().get(0);
    }

    @Test
    void thirdPartyModularPluginIsDiscoveredSelectedByConfigAndRun() throws IOException {
        Path jar = TestPlugins.plugin("acme-plugin", "acme").strength(150).writeTo(plugins().resolve("acme-plugin.jar"));
        try (Kavach kavach = load("kavach.backend = acme\nkavach.backends.acme.greeting = \"hello from kavach.conf\"\n")) {
            BackendEntry entry = kavach.backends().stream().filter(b -> b.id().equals("acme")).findFirst().orElseThrow();
            assertEquals(BackendOrigin.plugin(jar, "acme-plugin"), entry.origin());
            assertEquals("plugin acme-plugin (plugins/acme-plugin.jar)", entry.origin().describe());
            assertTrue(entry.availability().available());
            assertEquals(new PluginReport(jar, "acme-plugin", "1.0.0", PluginState.LOADED, List.of("acme"), List.of()),
                    report(kavach, "acme-plugin.jar"));
            assertEquals("acme", kavach.select().id());
            try (Sandbox sandbox = kavach.open()) {
                ExecResult result = sandbox.exec(ExecRequest.of("echo", "hi"));
                assertEquals(7, result.exitCode());
                assertEquals("acme|hello from kavach.conf|echo hi", result.stdoutText());
            }
            // loaded into its own layer, not the host's
            assertTrue(ModuleLayer.boot().findModule("com.acme.backend").isEmpty());
        }
    }

    @Test
    void pluginCommandExtensionIsDiscoveredAndRunsWithItsBackendsSettings() throws IOException {
        Path jar = TestPlugins.plugin("acme-plugin", "acme").withCommand().writeTo(plugins().resolve("acme-plugin.jar"));
        try (Kavach kavach = load(null)) {
            ExtensionEntry entry = kavach.extensions().stream().filter(e -> e.extension().name().equals("hello-acme")).findFirst().orElseThrow();
            assertEquals(BackendOrigin.plugin(jar, "acme-plugin"), entry.origin());
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int status = entry.extension().run(List.of("world"), kavach.contextFor(entry.extension().backendId()),
                    new java.io.PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            assertEquals(5, status);
            assertEquals("hello world from reference.conf", out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void pluginReferenceConfSuppliesDefaultsWithItsOrigin() throws IOException {
        TestPlugins.plugin("acme-plugin", "acme").writeTo(plugins().resolve("acme-plugin.jar"));
        try (Kavach kavach = load(null)) {
            assertEquals("from reference.conf", kavach.contextFor("acme").settings().string("greeting", ""));
            assertTrue(kavach.contextFor("acme").settings().origin("greeting").startsWith("reference.conf in acme-plugin.jar: 1"),
                    kavach.contextFor("acme").settings().origin("greeting"));
            assertTrue(kavach.renderConfig().contains("reference.conf in acme-plugin.jar"), kavach.renderConfig());
        }
    }

    @Test
    void nonModularPluginLoadsAsAutomaticModule() throws IOException {
        TestPlugins.plugin("plain-plugin", "plain").nonModular().writeTo(plugins().resolve("plain.jar"));
        try (Kavach kavach = load("kavach.backend = plain\n"); Sandbox sandbox = kavach.open()) {
            assertEquals("plain|from reference.conf|ls -l", sandbox.exec(ExecRequest.of("ls", "-l")).stdoutText());
            assertEquals(List.of("plain"), report(kavach, "plain.jar").backendIds());
        }
    }

    @Test
    void pluginFolderLoadsThePluginWithItsOwnDependencyJar() throws IOException {
        Path folder = Files.createDirectories(plugins().resolve("acme"));
        TestPlugins.plugin("acme-plugin", "acme").usingLib().writeTo(folder.resolve("acme-backend.jar"));
        Files.copy(TestPlugins.libJar(), folder.resolve("acme-lib.jar"));
        try (Kavach kavach = load(null); Sandbox sandbox = kavach.open("acme")) {
            assertEquals("acme|from reference.conf-VIA-LIB!|id", sandbox.exec(ExecRequest.of("id")).stdoutText());
            PluginReport report = report(kavach, "acme");
            assertEquals(PluginState.LOADED, report.state());
            assertEquals("acme-plugin", report.pluginId());
        }
    }

    @Test
    void pluginMayDependOnAnotherPlugin() throws IOException {
        good();
        // non-modular, so that its automatic module name (from the file name) differs from good's module
        TestPlugins.plugin("needs-good", "dependent").nonModular().manifest("Plugin-Dependencies", "good-plugin@>=1.0.0")
                .writeTo(plugins().resolve("dependent.jar"));
        try (Kavach kavach = load(null)) {
            assertEquals(PluginState.LOADED, report(kavach, "dependent.jar").state(), report(kavach, "dependent.jar").toString());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void pluginShadowedByItsDependencysModuleNameIsReported() throws IOException {
        good();
        TestPlugins.plugin("needs-good", "dependent").manifest("Plugin-Dependencies", "good-plugin@>=1.0.0").writeTo(plugins().resolve("dependent.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "dependent.jar"));
            assertTrue(diagnostic.reason().startsWith("plugin 'needs-good' is module 'com.acme.backend', a name the host or one of the plugin's"),
                    diagnostic.reason());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void pluginDependingOnAFailedPluginIsReported() throws IOException {
        good();
        TestPlugins.plugin("future-plugin", "future").manifest("Plugin-Requires", ">=9.0.0").writeTo(plugins().resolve("future.jar"));
        TestPlugins.plugin("needs-future", "dependent").nonModular().manifest("Plugin-Dependencies", "future-plugin")
                .writeTo(plugins().resolve("dependent.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "dependent.jar"));
            assertTrue(diagnostic.reason().startsWith("plugin 'needs-future' depends on plugin 'future-plugin', which failed to load"),
                    diagnostic.reason());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void corruptJarIsReportedAndOthersLoad() throws IOException {
        good();
        Files.write(plugins().resolve("broken.jar"), "this is not a zip file".getBytes(StandardCharsets.UTF_8));
        try (Kavach kavach = load(null)) {
            PluginReport report = report(kavach, "broken.jar");
            assertEquals(PluginState.FAILED, report.state());
            PluginDiagnostic diagnostic = onlyDiagnostic(report);
            assertEquals(plugins().resolve("broken.jar"), diagnostic.file());
            assertEquals(null, diagnostic.pluginId());
            assertTrue(diagnostic.reason().startsWith("cannot read broken.jar as a JAR"), diagnostic.reason());
            assertTrue(diagnostic.fix().contains("intact copy"), diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void jarWithoutProviderIsReported() throws IOException {
        good();
        TestPlugins.plugin("empty-plugin", "empty").entry("META-INF/services/dev.kavach.api.BackendProvider", new byte[0])
                .nonModular().writeTo(plugins().resolve("empty.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "empty.jar"));
            assertEquals("empty-plugin", diagnostic.pluginId());
            assertEquals("plugin 'empty-plugin' provides no backend: no dev.kavach.api.BackendProvider or CommandExtension is declared in its JARs",
                    diagnostic.reason());
            assertTrue(diagnostic.fix().contains("provides dev.kavach.api.BackendProvider with"), diagnostic.fix());
            assertEquals(PluginState.FAILED, report(kavach, "empty.jar").state());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void providerWhoseConstructorThrowsIsReported() throws IOException {
        good();
        TestPlugins.plugin("bad-plugin", "bad").failIn("constructor").writeTo(plugins().resolve("bad.jar"));
        try (Kavach kavach = load(null)) {
            PluginReport report = report(kavach, "bad.jar");
            assertEquals(PluginState.FAILED, report.state());
            PluginDiagnostic diagnostic = onlyDiagnostic(report);
            assertEquals("bad-plugin", diagnostic.pluginId());
            assertTrue(diagnostic.reason().contains("com.acme.backend.AcmeBackendProvider could not be created"), diagnostic.reason());
            assertTrue(diagnostic.reason().contains("java.lang.IllegalStateException: acme constructor exploded"), diagnostic.reason());
            assertTrue(diagnostic.fix().contains("constructor"), diagnostic.fix());
            assertFalse(kavach.backends().stream().anyMatch(b -> b.id().equals("bad")));
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void aProbeThrowingAnErrorIsThatPluginsProblemOnly() throws IOException {
        good();
        TestPlugins.plugin("bad-plugin", "bad").failIn("probe-error").writeTo(plugins().resolve("bad.jar"));
        try (Kavach kavach = load(null)) {
            BackendEntry bad = kavach.backends().stream().filter(b -> b.id().equals("bad")).findFirst().orElseThrow();
            assertFalse(bad.availability().available());
            assertEquals("probe of backend 'bad' threw java.lang.AssertionError: acme probe asserted", bad.availability().problems().get(0).detail());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void providerWhoseProbeThrowsBecomesUnavailableWithThatReason() throws IOException {
        good();
        TestPlugins.plugin("bad-plugin", "bad").failIn("probe").writeTo(plugins().resolve("bad.jar"));
        try (Kavach kavach = load(null)) {
            BackendEntry bad = kavach.backends().stream().filter(b -> b.id().equals("bad")).findFirst().orElseThrow();
            assertFalse(bad.availability().available());
            String expected = "probe of backend 'bad' threw java.lang.IllegalStateException: acme probe exploded";
            assertEquals(expected, bad.availability().problems().get(0).detail());
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "bad.jar"));
            assertTrue(diagnostic.reason().startsWith(expected), diagnostic.reason());
            assertTrue(diagnostic.fix().contains("report this to the author of plugin 'bad-plugin'"), diagnostic.fix());
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> kavach.open("bad"));
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void incompatiblePluginRequiresIsReportedAgainstTheRealVersion() throws IOException {
        good();
        TestPlugins.plugin("future-plugin", "future").manifest("Plugin-Requires", ">=9.0.0").writeTo(plugins().resolve("future.jar"));
        try (Kavach kavach = load(null)) {
            PluginReport report = report(kavach, "future.jar");
            assertEquals(PluginState.FAILED, report.state());
            assertEquals("1.0.0", report.version());
            PluginDiagnostic diagnostic = onlyDiagnostic(report);
            assertEquals("plugin 'future-plugin' 1.0.0 requires Kavach >=9.0.0 (Plugin-Requires), but this is Kavach " + kavach.version(),
                    diagnostic.reason());
            assertTrue(diagnostic.fix().contains("built for Kavach " + kavach.version()), diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void missingPluginDependencyIsReported() throws IOException {
        good();
        TestPlugins.plugin("lonely-plugin", "lonely").manifest("Plugin-Dependencies", "acme-missing@>=1.0.0").writeTo(plugins().resolve("lonely.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "lonely.jar"));
            assertEquals("lonely-plugin", diagnostic.pluginId());
            assertTrue(diagnostic.reason().startsWith("plugin 'lonely-plugin' depends on plugin 'acme-missing', which is not in the plugins directory"),
                    diagnostic.reason());
            assertTrue(diagnostic.fix().startsWith("put plugin 'acme-missing' matching >=1.0.0 in the plugins directory"), diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void pluginBundlingItsOwnApiIsReported() throws IOException {
        good();
        TestPlugins.Builder builder = TestPlugins.plugin("fat-plugin", "fat").nonModular();
        TestPlugins.apiClasses().forEach(builder::entry);
        builder.writeTo(plugins().resolve("fat.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "fat.jar"));
            assertTrue(diagnostic.reason().startsWith("plugin 'fat-plugin' bundles its own copy of dev.kavach.api (in fat.jar)"), diagnostic.reason());
            assertTrue(diagnostic.fix().contains("provided"), diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void pluginReusingABuiltInIdLosesAndBothAreNamed() throws IOException {
        good();
        TestPlugins.plugin("impostor", "noop").writeTo(plugins().resolve("impostor.jar"));
        try (Kavach kavach = load(null)) {
            PluginReport report = report(kavach, "impostor.jar");
            assertEquals(PluginState.FAILED, report.state());
            String reason = onlyDiagnostic(report).reason();
            assertTrue(reason.contains("backend id 'noop' of com.acme.backend.AcmeBackendProvider (plugin impostor (plugins/impostor.jar))"), reason);
            assertTrue(reason.contains("already provided by dev.kavach.core.noop.NoopBackendProvider (built-in)"), reason);
            try (Sandbox sandbox = kavach.open("noop")) {
                assertEquals("", sandbox.exec(ExecRequest.of("x")).stdoutText(), "the built-in noop must win");
            }
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void twoPluginsWithOneBackendIdFirstWinsAndBothAreNamed() throws IOException {
        good();
        TestPlugins.plugin("twin-a", "twin").writeTo(plugins().resolve("twin-a.jar"));
        TestPlugins.plugin("twin-b", "twin").writeTo(plugins().resolve("twin-b.jar"));
        try (Kavach kavach = load(null)) {
            assertEquals(PluginState.LOADED, report(kavach, "twin-a.jar").state());
            PluginReport loser = report(kavach, "twin-b.jar");
            assertEquals(PluginState.FAILED, loser.state());
            String reason = onlyDiagnostic(loser).reason();
            assertTrue(reason.contains("(plugin twin-b (plugins/twin-b.jar)) is already provided by com.acme.backend.AcmeBackendProvider (plugin twin-a (plugins/twin-a.jar))"), reason);
            assertEquals("twin-a", kavach.backends().stream().filter(b -> b.id().equals("twin")).findFirst().orElseThrow().origin().pluginId());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void unknownDescriptorKeyIsRejectedNamingThePlugin() throws IOException {
        good();
        TestPlugins.plugin("typo-plugin", "typo").manifest("Plugin-Requirez", ">=0.1.0").writeTo(plugins().resolve("typo.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "typo.jar"));
            assertEquals("typo-plugin", diagnostic.pluginId());
            assertTrue(diagnostic.reason().startsWith("plugin 'typo-plugin' has unknown descriptor key(s) Plugin-Requirez"), diagnostic.reason());
            assertEquals("correct or remove Plugin-Requirez in the manifest of typo.jar", diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void referenceConfOutsideItsOwnBackendIsIgnoredAndReported() throws IOException {
        good();
        TestPlugins.plugin("pushy-plugin", "pushy")
                .reference("kavach.backend = pushy\nkavach.backends.pushy.greeting = mine\nkavach.backends.good.greeting = hijacked\n")
                .writeTo(plugins().resolve("pushy.jar"));
        try (Kavach kavach = load(null)) {
            assertEquals("auto", kavach.settings().backend());
            assertEquals("mine", kavach.contextFor("pushy").settings().string("greeting", ""));
            PluginReport report = report(kavach, "pushy.jar");
            assertEquals(PluginState.LOADED, report.state());
            String reason = onlyDiagnostic(report).reason();
            assertTrue(reason.contains("kavach.backend (reference.conf in pushy.jar: 1)"), reason);
            assertTrue(reason.contains("kavach.backends.good.greeting (reference.conf in pushy.jar: 3)"), reason);
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void missingDescriptorIsReported() throws IOException {
        good();
        TestPlugins.plugin("x", "anonymous").manifest("Plugin-Id", null).writeTo(plugins().resolve("anonymous.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "anonymous.jar"));
            assertEquals(null, diagnostic.pluginId());
            assertEquals("anonymous.jar has no plugin descriptor (Plugin-Id in META-INF/MANIFEST.MF)", diagnostic.reason());
            assertTrue(diagnostic.fix().startsWith("add the PF4J manifest entries Plugin-Id and Plugin-Version"), diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void unknownBackendInConfigNamesThePluginsThatFailed() throws IOException {
        TestPlugins.plugin("future-plugin", "future").manifest("Plugin-Requires", ">=9.0.0").writeTo(plugins().resolve("future.jar"));
        // loading still works, so that `kavach plugins`, `kavach backends` and `kavach config` can say why
        Kavach kavach = load("kavach.backend = future\nkavach.fallback = [future]\nkavach.backends.future.greeting = hi\n");
        assertEquals(PluginState.FAILED, report(kavach, "future.jar").state());
        assertFalse(kavach.backends().isEmpty());
        assertTrue(kavach.renderConfig().contains("future"), kavach.renderConfig());
        dev.kavach.api.ConfigurationException e = assertThrows(dev.kavach.api.ConfigurationException.class, () -> kavach.open());
        kavach.close();
        assertTrue(e.getMessage().startsWith("unknown backend 'future' in kavach.backend (set at " + dir.resolve("kavach.conf") + ": 1)"), e.getMessage());
        assertTrue(e.getMessage().contains("plugins that failed to load: plugins/future.jar [future-plugin]: plugin 'future-plugin' 1.0.0 requires Kavach >=9.0.0"),
                e.getMessage());
    }

    @Test
    void providerWhoseInfoThrowsIsReported() throws IOException {
        good();
        TestPlugins.plugin("mute-plugin", "mute").failIn("info").writeTo(plugins().resolve("mute.jar"));
        try (Kavach kavach = load(null)) {
            PluginReport report = report(kavach, "mute.jar");
            assertEquals(PluginState.FAILED, report.state());
            assertEquals("info() of backend provider com.acme.backend.AcmeBackendProvider threw java.lang.IllegalStateException: acme info exploded",
                    onlyDiagnostic(report).reason());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void brokenReferenceConfIsReportedAndItsDefaultsIgnored() throws IOException {
        good();
        TestPlugins.plugin("sloppy-plugin", "sloppy").reference("kavach.backends.sloppy { greeting = \n").writeTo(plugins().resolve("sloppy.jar"));
        try (Kavach kavach = load(null)) {
            PluginReport report = report(kavach, "sloppy.jar");
            assertEquals(PluginState.LOADED, report.state());
            assertTrue(onlyDiagnostic(report).reason().startsWith("the plugin's reference.conf cannot be parsed, its defaults are ignored: reference.conf in sloppy.jar"),
                    onlyDiagnostic(report).reason());
            try (Sandbox sandbox = kavach.open("sloppy")) {
                assertEquals("sloppy|none|x", sandbox.exec(ExecRequest.of("x")).stdoutText());
            }
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void pluginFolderMissingADependencyJarIsReported() throws IOException {
        good();
        Path folder = Files.createDirectories(plugins().resolve("acme"));
        TestPlugins.plugin("acme-plugin", "acme").usingLib().writeTo(folder.resolve("acme-backend.jar"));
        try (Kavach kavach = load(null)) {
            PluginDiagnostic diagnostic = onlyDiagnostic(report(kavach, "acme"));
            assertTrue(diagnostic.reason().startsWith("plugin 'acme-plugin' cannot be loaded as modules: Module com.acme.lib not found, required by com.acme.backend"),
                    diagnostic.reason());
            assertTrue(diagnostic.fix().contains("put missing dependency JARs in a plugins/<name>/ folder"), diagnostic.fix());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void malformedPluginFoldersAreReported() throws IOException {
        good();
        Files.createDirectories(plugins().resolve("empty"));
        Path twins = Files.createDirectories(plugins().resolve("twins"));
        TestPlugins.plugin("one", "one").writeTo(twins.resolve("one.jar"));
        TestPlugins.plugin("two", "two").writeTo(twins.resolve("two.jar"));
        try (Kavach kavach = load(null)) {
            assertEquals("plugin folder empty/ contains no JAR", onlyDiagnostic(report(kavach, "empty")).reason());
            assertEquals("several JARs in twins/ declare a plugin: one.jar, two.jar", onlyDiagnostic(report(kavach, "twins")).reason());
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void aDependencyCycleFailsThePluginsInItAndNoOther() throws IOException {
        good();
        TestPlugins.plugin("ping", "ping").manifest("Plugin-Dependencies", "pong").writeTo(plugins().resolve("ping.jar"));
        TestPlugins.plugin("pong", "pong").manifest("Plugin-Dependencies", "ping").writeTo(plugins().resolve("pong.jar"));
        try (Kavach kavach = load(null)) {
            for (String file : List.of("ping.jar", "pong.jar")) {
                PluginReport report = report(kavach, file);
                assertEquals(PluginState.FAILED, report.state());
                assertTrue(onlyDiagnostic(report).reason().endsWith("is part of a cycle of Plugin-Dependencies"), onlyDiagnostic(report).reason());
            }
            assertGoodPluginStillWorks(kavach);
        }
    }

    @Test
    void pluginsLoadInSeparateLayers() throws IOException {
        TestPlugins.plugin("one", "one").writeTo(plugins().resolve("one.jar"));
        TestPlugins.plugin("two", "two").writeTo(plugins().resolve("two.jar"));
        try (Kavach kavach = load(null); Sandbox one = kavach.open("one"); Sandbox two = kavach.open("two")) {
            // the same module name in two plugins only works because each has its own layer
            assertEquals("one|from reference.conf|a", one.exec(ExecRequest.of("a")).stdoutText());
            assertEquals("two|from reference.conf|a", two.exec(ExecRequest.of("a")).stdoutText());
            assertNotSame(report(kavach, "one.jar"), report(kavach, "two.jar"));
        }
    }
}
