package dev.kavach.core;

import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.KavachException;
import dev.kavach.api.SandboxException;
import dev.kavach.core.discovery.PluginBugException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who is to blame: a {@link ConfigurationException} a backend throws from probe, create or exec is the
 * user's setting, reported as such (one line naming key, value, origin and what is accepted, never "a
 * bug"); anything else a plugin throws, an {@code Error} included, is that plugin's bug, named in the
 * error and kept as its diagnostic. All through the one plugin-call guard.
 */
class PluginErrorTest {
    private static final String GREETING_ERROR = "invalid value 'hey' for kavach.backends.bad.greeting (set at command-line override): "
            + "expected a friendly word";

    @TempDir
    Path dir;

    private Kavach withBadPlugin(String failIn) throws IOException {
        Path workDir = dir.resolve(failIn); // a JAR rewritten in place could be read from a stale cache
        Path plugins = Files.createDirectories(workDir.resolve("plugins"));
        TestPlugins.plugin("bad-plugin", "bad").failIn(failIn).withCommand().writeTo(plugins.resolve("bad.jar"));
        return Kavach.load(new KavachOptions(null, Map.of("kavach.backends.bad.greeting", "hey"), Map.of(), workDir));
    }

    private static PluginReport report(Kavach kavach) {
        return kavach.plugins().stream().filter(r -> "bad-plugin".equals(r.pluginId())).findFirst().orElseThrow();
    }

    private static void assertUsersError(ConfigurationException e) {
        assertEquals(GREETING_ERROR, e.getMessage());
        assertTrue(e.fix().contains("kavach.backends.bad.greeting"), e.fix());
        assertFalse(e.oneLine().contains("bug"), e.oneLine());
    }

    @Test
    void aConfigurationExceptionFromProbeIsTheUsersSettingNotAnUnavailableBackendOrABug() throws IOException {
        try (Kavach kavach = withBadPlugin("probe-config")) {
            BackendEntry bad = kavach.backends().stream().filter(b -> b.id().equals("bad")).findFirst().orElseThrow();
            assertFalse(bad.availability().available());
            assertEquals("configuration", bad.availability().problems().get(0).name());
            assertEquals(GREETING_ERROR, bad.availability().problems().get(0).detail());
            assertUsersError(assertThrows(ConfigurationException.class, () -> kavach.open("bad")));
            assertUsersError(assertThrows(ConfigurationException.class, () -> kavach.commandLine("bad", ExecRequest.of("x"))));
            assertEquals(List.of(), report(kavach).diagnostics(), "the user's setting is not the plugin's problem");
        }
    }

    @Test
    void aConfigurationExceptionFromCreateOrExecPassesUnchanged() throws IOException {
        try (Kavach kavach = withBadPlugin("create-config")) {
            assertUsersError(assertThrows(ConfigurationException.class, () -> kavach.open("bad")));
            assertEquals(List.of(), report(kavach).diagnostics());
        }
        try (Kavach kavach = withBadPlugin("exec-config"); Sandbox sandbox = kavach.open("bad")) {
            assertUsersError(assertThrows(ConfigurationException.class, () -> sandbox.exec(ExecRequest.of("x"))));
            assertEquals(List.of(), report(kavach).diagnostics());
        }
    }

    @Test
    void aBuiltInBackendsConfigurationExceptionIsNeverCalledABugInTheBuiltIn() {
        try (Kavach kavach = Kavach.load(new KavachOptions(null, Map.of("kavach.backends.noop.exit-code", "300"), Map.of(), dir))) {
            BackendEntry noop = kavach.backends().stream().filter(b -> b.id().equals("noop")).findFirst().orElseThrow();
            assertFalse(noop.availability().available(), "kavach backends shows the bad setting");
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> kavach.open("noop"));
            assertEquals("invalid value '300' for kavach.backends.noop.exit-code (set at command-line override): expected an exit code from 0 to 255",
                    e.getMessage());
            assertFalse(e.oneLine().contains("bug"), e.oneLine());
        }
    }

    @Test
    void anErrorFromExecIsThatPluginsBugNotAnEscapedError() throws IOException {
        try (Kavach kavach = withBadPlugin("exec-error"); Sandbox sandbox = kavach.open("bad")) {
            SandboxException e = assertThrows(SandboxException.class, () -> sandbox.exec(ExecRequest.of("x")));
            assertInstanceOf(PluginBugException.class, e);
            assertEquals("exec of backend 'bad' threw java.lang.AssertionError: acme exec asserted", e.getMessage());
            assertTrue(e.fix().contains("report this to the author of plugin 'bad-plugin'"), e.fix());
            assertInstanceOf(AssertionError.class, e.getCause());
            PluginDiagnostic diagnostic = report(kavach).diagnostics().get(0);
            assertEquals(e.getMessage(), diagnostic.reason());
            // the same bug again is one diagnostic, not one per exec
            assertThrows(SandboxException.class, () -> sandbox.exec(ExecRequest.of("x")));
            assertEquals(1, report(kavach).diagnostics().size());
        }
    }

    @Test
    void anUnexpectedExceptionFromCreateNamesThePlugin() throws IOException {
        try (Kavach kavach = withBadPlugin("create-bug")) {
            PluginBugException e = assertThrows(PluginBugException.class, () -> kavach.open("bad"));
            assertEquals("create of backend 'bad' threw java.lang.IllegalStateException: acme create exploded", e.getMessage());
            assertTrue(e.fix().contains("plugin 'bad-plugin'") && e.fix().contains("bad.jar"), e.fix());
            assertEquals(e.getMessage(), report(kavach).diagnostics().get(0).reason());
        }
    }

    @Test
    void anErrorFromAPluginCommandIsThatPluginsBug() throws IOException {
        try (Kavach kavach = withBadPlugin("command-error")) {
            ExtensionEntry command = kavach.extensions().stream().filter(e -> e.name().equals("hello-bad")).findFirst().orElseThrow();
            PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            KavachException e = assertThrows(PluginBugException.class,
                    () -> command.run(List.of(), kavach.contextFor(command.backendId()), out, out));
            assertEquals("command 'kavach hello-bad' threw java.lang.StackOverflowError: acme command recursed", e.getMessage());
            assertEquals(e.getMessage(), report(kavach).diagnostics().get(0).reason());
        }
    }

    @Test
    void aBackendThatThrowsOnPurposeInProbeIsUnavailableWithItsOwnReason() throws IOException {
        try (Kavach kavach = withBadPlugin("probe")) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> kavach.open("bad"));
            assertTrue(e.getMessage().contains("probe of backend 'bad' threw java.lang.IllegalStateException: acme probe exploded"), e.getMessage());
        }
    }
}
