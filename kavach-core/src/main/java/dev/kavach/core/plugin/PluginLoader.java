package dev.kavach.core.plugin;

import dev.kavach.api.process.HostProbeCache;
import org.pf4j.PluginDependency;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Loads every JAR and {@code <name>/} folder of JARs in the plugins directory, each on its own, so that one
 * bad plugin becomes a diagnostic and the others still load. The phases, as in PF4J's
 * {@code AbstractPluginManager} and Elasticsearch's {@code PluginsLoader}, each its own class:
 * {@link PluginScanner} (what could be a plugin), {@link PluginDescriber} (immutable descriptors, checked
 * with PF4J's parser and version semantics), {@link DependencyOrder} (PF4J's resolver), a
 * {@link PluginLayerFactory} (a module layer or a class loader per plugin), and an immutable
 * {@link PluginSet} holding every plugin with its diagnostics.
 */
public final class PluginLoader {
    private static final Logger LOG = LoggerFactory.getLogger(PluginLoader.class);
    private final StrictDescriptorReader descriptors = new StrictDescriptorReader();
    private final PluginDescriber describer;
    private final DependencyOrder dependencyOrder = new DependencyOrder(descriptors);
    private final Class<?> hostClass;
    private final PluginLayerFactory factoryOverride;

    private PluginLoader(Class<?> hostClass, PluginLayerFactory factoryOverride, String kavachVersion, HostProbeCache jarCache) {
        this.hostClass = hostClass;
        this.factoryOverride = factoryOverride;
        this.describer = new PluginDescriber(descriptors, requireNonNull(kavachVersion, "kavachVersion is null"), new PluginJars(jarCache));
    }

    /** A loader for the host that {@code hostClass} belongs to: layers when it is a named module, class loaders otherwise. */
    public static PluginLoader forHost(Class<?> hostClass, String kavachVersion) {
        return forHost(hostClass, kavachVersion, null);
    }

    /**
     * Like {@link #forHost(Class, String)}, remembering what it reads from the plugins' JARs in {@code jarCache}
     * ({@link PluginJars}); {@code null} to read them on every load.
     */
    public static PluginLoader forHost(Class<?> hostClass, String kavachVersion, HostProbeCache jarCache) {
        return new PluginLoader(requireNonNull(hostClass, "hostClass is null"), null, kavachVersion, jarCache);
    }

    /** A loader that puts every plugin on its own class loader below {@code hostLoader}, as for a class-path host. */
    public static PluginLoader withClassLoaders(ClassLoader hostLoader, String kavachVersion) {
        return new PluginLoader(null, new ClassLoaderFactory(hostLoader), kavachVersion, null);
    }

    /** Every plugin in {@code dir}, failed ones included. Close the result with Kavach. */
    public PluginSet load(Path dir) {
        List<PluginCandidate> candidates;
        try {
            candidates = PluginScanner.scan(dir);
            LOG.debug("plugins directory {}: {} candidate(s)", dir, candidates.size());
        } catch (IOException e) {
            return PluginSet.of(LoadedPlugin.failed(new PluginCandidate(dir, List.of()), new PluginProblem(
                    "cannot list the plugins directory " + dir + ": " + e, "make " + dir + " readable, or point kavach.plugins.dir elsewhere")));
        }
        Map<PluginCandidate, LoadedPlugin> failed = new LinkedHashMap<>();
        List<DescribedPlugin> described = new ArrayList<>();
        Set<String> presentIds = new HashSet<>();
        for (PluginCandidate candidate : candidates) {
            try {
                DescribedPlugin plugin = describer.describe(candidate);
                described.add(plugin);
                presentIds.add(plugin.pluginId());
            } catch (PluginProblem problem) {
                failed.put(candidate, LoadedPlugin.failed(candidate, problem));
                if (problem.pluginId() != null) {
                    presentIds.add(problem.pluginId());
                }
            }
        }
        DependencyOrder.Result order = dependencyOrder.order(described, presentIds);
        order.refused().forEach((plugin, problem) -> failed.put(plugin.candidate(), LoadedPlugin.failed(plugin.candidate(), problem)));

        PluginLayerFactory factory = factoryOverride != null ? factoryOverride : PluginLayerFactory.forHost(hostClass);
        List<LoadedPlugin> result = new ArrayList<>();
        Map<String, PluginClasses> defined = new LinkedHashMap<>();
        Set<String> dependedOn = new HashSet<>();
        order.ordered().forEach(plugin -> plugin.dependencies().forEach(dependency -> dependedOn.add(dependency.getPluginId())));
        for (DescribedPlugin plugin : order.ordered()) {
            if (deferrable(plugin, dependedOn)) {
                result.add(LoadedPlugin.deferred(plugin, factory));
                LOG.debug("deferred plugin '{}' {} from {}: it declares backends {}, so it loads when one is needed", plugin.pluginId(),
                        plugin.version(), plugin.path(), plugin.declared().stream().map(DeclaredBackend::id).toList());
                continue;
            }
            try {
                PluginClasses classes = define(factory, plugin, dependenciesOf(plugin, defined));
                defined.put(plugin.pluginId(), classes);
                result.add(LoadedPlugin.loaded(plugin, classes));
            } catch (PluginProblem problem) {
                result.add(LoadedPlugin.failed(plugin.candidate(), problem));
            }
        }
        for (PluginCandidate candidate : candidates) {
            LoadedPlugin plugin = failed.get(candidate);
            if (plugin != null) {
                result.add(plugin);
            }
        }
        for (LoadedPlugin plugin : result) {
            if (plugin.failed()) {
                LOG.debug("plugin {} failed to load: {}", plugin.path(), plugin.diagnostics());
            }
        }
        return new PluginSet(result, factory);
    }

    /**
     * Whether {@code plugin} may wait until one of its backends is needed: it declares its backends
     * ({@link DeclaredBackend}), and neither depends on another plugin nor is depended on (a layer's parents
     * must exist before it), so loading it later changes nothing but when.
     */
    private static boolean deferrable(DescribedPlugin plugin, Set<String> dependedOn) {
        return !plugin.declared().isEmpty() && plugin.dependencies().isEmpty() && !dependedOn.contains(plugin.pluginId());
    }

    /** Defines {@code plugin}'s classes on top of its dependencies' and instantiates its providers; one that provides nothing fails. */
    static PluginClasses define(PluginLayerFactory factory, DescribedPlugin plugin, List<PluginClasses> dependencies) throws PluginProblem {
        long started = System.nanoTime();
        PluginClasses classes = factory.define(plugin, dependencies);
        if (classes.backends().isEmpty() && classes.extensions().isEmpty()) {
            throw plugin.problem("plugin '" + plugin.pluginId() + "' provides no backend: no dev.kavach.api.BackendProvider "
                            + "or CommandExtension is declared in its JARs",
                    "declare 'provides dev.kavach.api.BackendProvider with <your class>' in module-info.java and list the class in "
                            + "META-INF/services/dev.kavach.api.BackendProvider");
        }
        LOG.debug("loaded plugin '{}' {} from {} in {} ms: {} backend provider(s), {} command extension(s)", plugin.pluginId(),
                plugin.version(), plugin.path(), (System.nanoTime() - started) / 1_000_000, classes.backends().size(),
                classes.extensions().size());
        return classes;
    }

    /** The classes of {@code plugin}'s dependencies; a required one that did not load fails it. */
    private static List<PluginClasses> dependenciesOf(DescribedPlugin plugin, Map<String, PluginClasses> defined) throws PluginProblem {
        List<PluginClasses> dependencies = new ArrayList<>();
        for (PluginDependency dependency : plugin.dependencies()) {
            PluginClasses target = defined.get(dependency.getPluginId());
            if (target != null) {
                dependencies.add(target);
            } else if (!dependency.isOptional()) {
                throw plugin.problem("plugin '" + plugin.pluginId() + "' depends on plugin '" + dependency.getPluginId()
                                + "', which failed to load (see its own diagnostic)",
                        "fix plugin '" + dependency.getPluginId() + "' first, or remove " + plugin.path().getFileName());
            }
        }
        return dependencies;
    }
}
