package dev.kavach.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kavach backends}, {@code plugins}, {@code config}, help, version and usage errors. */
class CommandsTest {
    @TempDir
    Path dir;

    @Test
    void backendsJsonListsTheBuiltInsWithTheirChecks() {
        Cli.Result result = new Cli(dir).run("backends", "--json");
        assertEquals(0, result.exitCode(), result::toString);
        Map<String, Config> byId = result.json().getConfigList("backends").stream()
                .collect(Collectors.toMap(b -> b.getString("id"), b -> b));
        assertTrue(byId.keySet().containsAll(List.of("process", "noop")), () -> "process and noop in " + byId.keySet());
        Config process = byId.get("process");
        assertEquals("built-in", process.getString("source"));
        assertEquals("BUILT_IN", process.getString("origin.kind"));
        assertEquals("PROCESS", process.getString("isolation"));
        assertEquals(100, process.getInt("strength"));
        assertTrue(process.getBoolean("available"), () -> "the process backend runs here: " + process.root().render());
        assertFalse(process.getConfigList("checks").isEmpty(), "the probe's checks are listed");
        for (Config check : process.getConfigList("checks")) {
            assertTrue(check.hasPath("name") && check.hasPath("passed") && check.hasPath("detail") && check.hasPath("fix"));
        }
        assertEquals(0, byId.get("noop").getInt("strength"));
        assertEquals(List.of("sessions", "files"), process.getStringList("capabilities"), "what a refusal's fix points at");
        assertEquals(List.of(), byId.get("noop").getStringList("capabilities"));
    }

    @Test
    void backendsTextShowsAvailabilityAndFixes() {
        Cli.Result result = new Cli(dir).run("backends");
        assertEquals(0, result.exitCode(), result::toString);
        assertTrue(result.stdout().lines().anyMatch(l -> l.startsWith("process  available")), result::toString);
        assertTrue(result.stdout().lines().anyMatch(l -> l.startsWith("noop  available")), result::toString);
        assertContains(result.stdout(), "    capabilities: sessions, files\n");
        Config json = new Cli(dir).run("backends", "--json").json();
        for (Config backend : json.getConfigList("backends")) {
            for (Config check : backend.getConfigList("checks")) {
                if (!check.getBoolean("passed") && !check.getString("fix").isEmpty()) {
                    assertContains(result.stdout(), "fix: " + check.getString("fix"));
                }
            }
        }
    }

    @Test
    void pluginsReportsABrokenPluginWithReasonAndFix() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.writeString(plugins.resolve("broken.jar"), "this is not a zip file");
        Cli.Result json = new Cli(dir).run("plugins", "--json", "-D", "kavach.plugins.dir=" + plugins);
        assertEquals(0, json.exitCode(), json::toString);
        Config root = json.json();
        assertEquals(plugins.toString(), Path.of(root.getString("plugins_dir")).toString());
        List<? extends Config> reports = root.getConfigList("plugins");
        assertEquals(1, reports.size(), json::toString);
        Config broken = reports.get(0);
        assertTrue(broken.getString("path").endsWith("broken.jar"));
        assertEquals("FAILED", broken.getString("state"));
        assertFalse(broken.getConfigList("diagnostics").isEmpty(), json::toString);
        Config diagnostic = broken.getConfigList("diagnostics").get(0);
        assertFalse(diagnostic.getString("reason").isBlank());
        assertFalse(diagnostic.getString("fix").isBlank());

        Cli.Result text = new Cli(dir).run("plugins", "-D", "kavach.plugins.dir=" + plugins);
        assertContains(text.stdout(), "broken.jar");
        assertContains(text.stdout(), "FAILED");
        assertContains(text.stdout(), "problem: " + diagnostic.getString("reason"));
        assertContains(text.stdout(), "fix:     " + diagnostic.getString("fix"));
    }

    @Test
    void configShowsEffectiveValuesFromEachSource() throws Exception {
        Path file = Files.writeString(dir.resolve("my.conf"), "kavach.timeout = 42s\n");
        Cli.Result result = new Cli(dir).run("config", "--config", file.toString(), "-D", "kavach.policy.preset=strict");
        assertEquals(0, result.exitCode(), result::toString);
        assertContains(result.stdout(), "42s");
        assertContains(result.stdout(), "my.conf");
        assertContains(result.stdout(), "strict");
    }

    @Test
    void badConfigurationIsAKavachFailureNamingTheKey() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.conf"), "kavach.timeout = forever\n");
        Cli.Result result = new Cli(dir).run("run", "--config", file.toString(), "--", "/bin/true");
        assertEquals(125, result.exitCode(), result::toString);
        assertContains(result.stderr(), "kavach.timeout");
    }

    @Test
    void versionNeedsNoConfiguration() {
        Cli.Result result = new Cli(dir).run("--version");
        assertEquals(0, result.exitCode(), result::toString);
        String first = result.stdout().lines().findFirst().orElse("");
        java.util.regex.Matcher line = java.util.regex.Pattern.compile("kavach 0\\.1\\.0 \\(commit ([0-9a-f]{7,40})(-modified)?\\)").matcher(first);
        assertTrue(line.matches(), result::toString);
        assertTrue(head().startsWith(line.group(1)), () -> "the commit of this checkout, " + head() + ": " + result);
    }

    /** This checkout's HEAD commit, as git names it. */
    private static String head() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            Prerequisites.require(git.waitFor() == 0, "a git checkout with git installed (the build names its commit): " + out);
            return out;
        } catch (java.io.IOException e) {
            Prerequisites.require(false, "git (apt-get install git): " + e.getMessage());
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        Cli.Result result = new Cli(dir).run("--help");
        assertEquals(0, result.exitCode(), result::toString);
        for (String command : List.of("run", "backends", "plugins", "config")) {
            assertTrue(result.stdout().lines().anyMatch(l -> l.trim().startsWith(command + " ")), () -> command + " in " + result);
        }
        assertContains(result.stdout(), "124");
        Cli.Result runHelp = new Cli(dir).run("run", "--help");
        assertContains(runHelp.stdout(), "--memory=SIZE");
        assertContains(runHelp.stdout(), "--dry-run");
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        Cli.Result unknown = new Cli(dir).run("-D", "kavach.plugins.dir=" + dir.resolve("none"), "frobnicate");
        assertEquals(2, unknown.exitCode(), unknown::toString);
        assertContains(unknown.stderr(), "unknown command 'frobnicate'");
        assertContains(unknown.stderr(), "commands: backends, config, help, plugins, run");
        Cli.Result option = new Cli(dir).run("--frobnicate");
        assertEquals(2, option.exitCode(), option::toString);
        assertContains(option.stderr(), "--frobnicate");
        Cli.Result nothing = new Cli(dir).run();
        assertEquals(2, nothing.exitCode(), nothing::toString);
        assertContains(nothing.stderr(), "Usage: kavach");
    }
}
