package dev.kavach.core.plugin;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What loading the plugins directory produced: every plugin, loaded or failed, each with its diagnostics,
 * loaded ones in load order (dependencies first) and failed ones after them. Closing it releases the class
 * loaders made for a class-path host.
 */
public final class PluginSet implements AutoCloseable {
    private final List<LoadedPlugin> plugins;
    private final PluginLayerFactory factory;

    PluginSet(List<LoadedPlugin> plugins, PluginLayerFactory factory) {
        this.plugins = List.copyOf(plugins);
        this.factory = factory;
    }

    /** No plugins: no plugins directory was configured. */
    public static PluginSet none() {
        return new PluginSet(List.of(), null);
    }

    static PluginSet of(LoadedPlugin plugin) {
        return new PluginSet(List.of(requireNonNull(plugin, "plugin is null")), null);
    }

    public List<LoadedPlugin> plugins() {
        return plugins;
    }

    /** The plugins that failed to load. */
    public List<LoadedPlugin> failed() {
        return plugins.stream().filter(LoadedPlugin::failed).toList();
    }

    @Override
    public void close() {
        if (factory != null) {
            factory.close();
        }
    }
}
