package dev.kavach.core.plugin;

import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.ServiceProviders;

import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.lang.module.ResolvedModule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Gives each plugin its own {@link ModuleLayer} whose parents are the layers of its
 * {@code Plugin-Dependencies} and the host's layer: the plugin sees {@code dev.kavach.api} (and SLF4J) from
 * the host and every library it bundles in its own folder from itself, so its libraries never clash with
 * Kavach's or another plugin's. PF4J's {@code PluginClassLoader} knows nothing of JPMS layers, which is why
 * this is not PF4J's loading.
 */
final class ModuleLayerFactory implements PluginLayerFactory {
    private final ModuleLayer hostLayer;
    private final ClassLoader hostLoader;

    ModuleLayerFactory(ModuleLayer hostLayer, ClassLoader hostLoader) {
        this.hostLayer = requireNonNull(hostLayer, "hostLayer is null");
        this.hostLoader = requireNonNull(hostLoader, "hostLoader is null");
    }

    @Override
    public PluginClasses define(DescribedPlugin plugin, List<PluginClasses> dependencies) throws PluginProblem {
        List<ModuleLayer> parents = new ArrayList<>();
        for (PluginClasses dependency : dependencies) {
            if (dependency.layer() != null) {
                parents.add(dependency.layer());
            }
        }
        parents.add(hostLayer);
        ModuleLayer layer;
        Configuration configuration;
        try {
            ModuleFinder finder = ModuleFinder.of(plugin.candidate().jars().toArray(Path[]::new));
            Set<String> roots = finder.findAll().stream().map(reference -> reference.descriptor().name()).collect(Collectors.toSet());
            // The plugin's finder goes in the "after" slot: a module the host (or a dependency plugin) already
            // has, such as dev.kavach.api or org.slf4j, is taken from there and never from the plugin.
            configuration = Configuration.resolveAndBind(ModuleFinder.of(), parents.stream().map(ModuleLayer::configuration).toList(), finder, roots);
            layer = ModuleLayer.defineModulesWithOneLoader(configuration, parents, hostLoader).layer();
        } catch (FindException | ResolutionException | LayerInstantiationException | SecurityException | IllegalArgumentException e) {
            throw plugin.problem("plugin '" + plugin.pluginId() + "' cannot be loaded as modules: " + e.getMessage(),
                    "make the plugin's JARs valid modules whose dependencies are present: put missing dependency JARs in a "
                            + "plugins/<name>/ folder with the plugin, and do not bundle modules or packages the host already has");
        }
        Module main = mainModule(layer, configuration, plugin.mainJar().file());
        if (main == null) {
            String name = ModuleFinder.of(plugin.mainJar().file()).findAll().stream().map(r -> r.descriptor().name()).findFirst().orElse("?");
            throw plugin.problem("plugin '" + plugin.pluginId() + "' is module '" + name + "', a name the host or one of the plugin's "
                            + "Plugin-Dependencies already uses, so the plugin's own module is never loaded",
                    "give the plugin's module a name of its own in module-info.java (or Automatic-Module-Name)");
        }
        return new PluginClasses(layer, main.getClassLoader(),
                ServiceProviders.instantiate(ServiceLoader.load(layer, BackendProvider.class), type -> type.getModule().getLayer() == layer),
                ServiceProviders.instantiate(ServiceLoader.load(layer, CommandExtension.class), type -> type.getModule().getLayer() == layer));
    }

    private static Module mainModule(ModuleLayer layer, Configuration configuration, Path mainJar) {
        for (ResolvedModule module : configuration.modules()) {
            ModuleReference reference = module.reference();
            if (reference.location().map(uri -> Path.of(uri).equals(mainJar.toAbsolutePath())).orElse(false)) {
                return layer.findModule(module.name()).orElse(null);
            }
        }
        return null;
    }

    @Override
    public void close() {
        // layers are released with their last reference
    }
}
