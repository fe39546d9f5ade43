package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The fourth phase of loading: gives one plugin its classes, on top of the host and of its dependencies
 * (which were defined before it), and instantiates its providers. Two kinds, as the host runs: a
 * {@link ModuleLayerFactory} when Kavach is a named module, a {@link ClassLoaderFactory} on the class path.
 */
sealed interface PluginLayerFactory extends Closeable permits ModuleLayerFactory, ClassLoaderFactory {
    /**
     * @param plugin       the plugin to define
     * @param dependencies the classes of its {@code Plugin-Dependencies} that loaded, in declaration order
     */
    PluginClasses define(DescribedPlugin plugin, List<PluginClasses> dependencies) throws PluginProblem;

    /** Releases what the factory opened (class loaders on the class path); the plugins' classes are unusable after. */
    @Override
    void close();

    /** The factory for the host that {@code hostClass} belongs to. */
    static PluginLayerFactory forHost(Class<?> hostClass) {
        Module module = hostClass.getModule();
        // On the classpath dev.kavach.api is in the unnamed module, which no named module can read, so a
        // modular plugin could never resolve there; plugins then load with a URLClassLoader instead.
        return module.isNamed() && module.getLayer() != null
                ? new ModuleLayerFactory(module.getLayer(), hostClass.getClassLoader())
                : new ClassLoaderFactory(hostClass.getClassLoader());
    }

    /**
     * The plugin's reference.conf from {@code in}, with an origin naming the plugin file; an unparsable one is
     * a warning and gives no defaults.
     */
    static Config parseReference(DescribedPlugin plugin, InputStream in, List<PluginProblem> warnings) {
        String origin = "reference.conf in " + plugin.path().getFileName()
                + (plugin.candidate().isFolder() ? "/" + plugin.mainJar().file().getFileName() : "");
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return ConfigFactory.parseReader(reader, ConfigParseOptions.defaults().setOriginDescription(origin));
        } catch (ConfigException | IOException e) {
            warnings.add(plugin.problem("the plugin's reference.conf cannot be parsed, its defaults are ignored: " + e.getMessage(),
                    "fix the HOCON syntax of reference.conf in the plugin and rebuild it"));
            return ConfigFactory.empty();
        }
    }

}
