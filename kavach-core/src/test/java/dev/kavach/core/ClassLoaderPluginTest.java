package dev.kavach.core;

import dev.kavach.api.BackendProvider;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;
import dev.kavach.core.plugin.LoadedPlugin;
import dev.kavach.core.plugin.PluginLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plugins when Kavach itself runs on the classpath (no host layer): each plugin gets a URLClassLoader whose
 * parent is the host's, providers come from META-INF/services, and the same faults are still reported.
 */
class ClassLoaderPluginTest {
    @TempDir
    Path dir;

    private List<LoadedPlugin> load(Path plugins) {
        return PluginLoader.withClassLoaders(ClassLoaderPluginTest.class.getClassLoader(), "0.1.0").load(plugins).plugins();
    }

    @Test
    void modularAndNonModularPluginsLoadOnTheirOwnClassLoaders() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        TestPlugins.plugin("plain-plugin", "plain").nonModular().writeTo(plugins.resolve("a-plain.jar"));
        TestPlugins.plugin("modular-plugin", "modular").writeTo(plugins.resolve("b-modular.jar"));
        List<LoadedPlugin> loaded = load(plugins);
        assertEquals(2, loaded.size());
        for (LoadedPlugin plugin : loaded) {
            assertFalse(plugin.failed(), plugin.diagnostics().toString());
            assertEquals(1, plugin.backends().size());
            Instantiation<BackendProvider> provider = plugin.backends().get(0);
            assertFalse(provider.failed(), String.valueOf(provider.failure()));
            ClassLoader classLoader = provider.instance().getClass().getClassLoader();
            assertInstanceOf(URLClassLoader.class, classLoader);
            assertEquals(plugin.loader(), classLoader);
            assertFalse(provider.instance().getClass().getModule().isNamed(), "module-info is ignored on a class loader");
            assertTrue(plugin.reference().hasPath("kavach.backends." + provider.instance().id() + ".greeting"));
        }
        assertEquals("plain", loaded.get(0).backends().get(0).instance().id());
    }

    @Test
    void faultsAreStillDiagnosed() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.writeString(plugins.resolve("broken.jar"), "garbage");
        TestPlugins.plugin("future-plugin", "future").manifest("Plugin-Requires", ">=2.0.0").writeTo(plugins.resolve("future.jar"));
        TestPlugins.plugin("bad-plugin", "bad").failIn("constructor").nonModular().writeTo(plugins.resolve("bad.jar"));
        List<LoadedPlugin> loaded = load(plugins);
        LoadedPlugin broken = loaded.stream().filter(p -> p.path().endsWith("broken.jar")).findFirst().orElseThrow();
        assertTrue(broken.failed());
        assertNull(broken.pluginId());
        LoadedPlugin future = loaded.stream().filter(p -> "future-plugin".equals(p.pluginId())).findFirst().orElseThrow();
        assertTrue(future.diagnostics().get(0).reason().contains("requires Kavach >=2.0.0 (Plugin-Requires), but this is Kavach 0.1.0"));
        LoadedPlugin bad = loaded.stream().filter(p -> "bad-plugin".equals(p.pluginId())).findFirst().orElseThrow();
        assertTrue(bad.backends().get(0).failed());
        assertTrue(bad.backends().get(0).failureText().contains("acme constructor exploded"), bad.backends().get(0).failureText());
    }
}
