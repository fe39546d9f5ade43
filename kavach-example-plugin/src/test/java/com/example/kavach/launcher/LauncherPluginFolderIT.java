package com.example.kavach.launcher;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.core.Kavach;
import dev.kavach.core.KavachOptions;
import dev.kavach.core.PluginReport;
import dev.kavach.core.Sandbox;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged plugin folder (this module's jar beside commons-lang3, as the starter builds it) loads in a
 * real Kavach host from a plugins directory, and its backend runs a command. Neither the plugin's classes
 * nor its library are on this test's class path: they come from the folder or not at all.
 */
class LauncherPluginFolderIT {
    @Test
    void thePluginFolderLoadsAndItsBackendRuns() {
        Path plugins = Path.of(System.getProperty("launcher.plugins.dir"));
        assertTrue(Files.isRegularFile(plugins.resolve("launcher-backend/commons-lang3-3.17.0.jar")), "the library travels in the folder");
        String classPath = System.getProperty("java.class.path");
        assertFalse(classPath.contains("commons-lang3") || classPath.contains("kavach-example-plugin-") || classPath.contains("target/classes"),
                "the plugin must come from its folder only, but the class path has it: " + classPath);

        try (Kavach kavach = Kavach.load(KavachOptions.defaults().withOverrides(Map.of("kavach.plugins.dir", plugins.toString())))) {
            PluginReport report = kavach.plugins().stream().filter(p -> "launcher-backend".equals(p.pluginId())).findFirst()
                    .orElseThrow(() -> new AssertionError("launcher-backend not among " + kavach.plugins()));
            assertEquals(java.util.List.of("launcher"), report.backendIds(), report.toString());
            assertTrue(kavach.backends().stream().anyMatch(b -> b.id().equals("launcher") && b.availability().available()),
                    kavach.backends().toString());
            try (Sandbox sandbox = kavach.open("launcher")) {
                ExecResult result = sandbox.exec(ExecRequest.builder("/bin/sh", "-c", "echo from-plugin; exit 4").policy(SandboxPolicy.minimal()).build());
                assertEquals("from-plugin\n", result.stdoutText());
                assertEquals(4, result.exitCode());
            }
        }
    }
}
