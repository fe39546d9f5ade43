package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.ServiceProviders;
import org.pf4j.DependencyResolver;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.lang.module.ResolvedModule;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Loads every JAR and {@code <name>/} folder of JARs in the plugins directory, each on its own, so that one
 * bad plugin becomes a diagnostic and the others still load.
 *
 * <p>PF4J supplies the descriptor format and semantics ({@link StrictDescriptorReader}, its version
 * manager and {@link DependencyResolver}), but not the loading: PF4J's {@code PluginClassLoader} knows
 * nothing of JPMS layers, so a plugin loaded by it would sit in an unnamed module and could not
 * {@code requires dev.kavach.api}. Instead each plugin gets its own {@link ModuleLayer} whose parents are
 * the layers of its {@code Plugin-Dependencies} and the host's layer: the plugin sees {@code dev.kavach.api}
 * (and SLF4J) from the host and its own libraries from itself.
 */
public final class PluginLoader {
    private final ModuleLayer hostLayer;
    private final ClassLoader hostLoader;
    private final String kavachVersion;
    private final StrictDescriptorReader descriptors = new StrictDescriptorReader();
    private final List<URLClassLoader> classLoaders = new ArrayList<>();

    /**
     * @param hostLayer     the layer Kavach runs in, or {@code null} when Kavach runs on the classpath
     * @param hostLoader    the class loader of the host (Kavach's own)
     * @param kavachVersion the real Kavach version, for {@code Plugin-Requires}
     */
    public PluginLoader(ModuleLayer hostLayer, ClassLoader hostLoader, String kavachVersion) {
        this.hostLayer = hostLayer;
        this.hostLoader = requireNonNull(hostLoader, "hostLoader is null");
        this.kavachVersion = requireNonNull(kavachVersion, "kavachVersion is null");
    }

    /** A loader for the host that {@code hostClass} belongs to: layers when it is a named module, class loaders otherwise. */
    public static PluginLoader forHost(Class<?> hostClass, String kavachVersion) {
        Module module = hostClass.getModule();
        // On the classpath dev.kavach.api is in the unnamed module, which no named module can read, so a
        // modular plugin could never resolve there; plugins then load with a URLClassLoader (see loadWithClassLoader).
        ModuleLayer layer = module.isNamed() ? module.getLayer() : null;
        return new PluginLoader(layer, hostClass.getClassLoader(), kavachVersion);
    }

    /** Every plugin in {@code dir}, in load order (dependencies first), failed ones included. */
    public List<LoadedPlugin> load(Path dir) {
        List<PluginCandidate> candidates;
        try {
            candidates = PluginCandidate.scan(dir);
        } catch (IOException e) {
            LoadedPlugin unreadable = new LoadedPlugin(new PluginCandidate(dir, List.of()));
            unreadable.fail("cannot list the plugins directory " + dir + ": " + e, "make " + dir + " readable, or point kavach.plugins.dir elsewhere");
            return List.of(unreadable);
        }
        List<LoadedPlugin> plugins = new ArrayList<>();
        for (PluginCandidate candidate : candidates) {
            LoadedPlugin plugin = new LoadedPlugin(candidate);
            try {
                inspect(plugin);
            } catch (PluginProblem problem) {
                plugin.fail(problem);
            }
            plugins.add(plugin);
        }
        rejectDuplicateIds(plugins);
        rejectUnsatisfiedDependencies(plugins);
        List<LoadedPlugin> ordered = loadOrder(plugins);
        Map<String, LoadedPlugin> loaded = new LinkedHashMap<>();
        for (LoadedPlugin plugin : ordered) {
            if (plugin.failed()) {
                continue;
            }
            try {
                define(plugin, loaded);
                loaded.put(plugin.pluginId(), plugin);
            } catch (PluginProblem problem) {
                plugin.fail(problem);
            }
        }
        return ordered;
    }

    /** Class loaders made for classpath-mode plugins; closed with Kavach. */
    public List<URLClassLoader> classLoaders() {
        return List.copyOf(classLoaders);
    }

    private void inspect(LoadedPlugin plugin) throws PluginProblem {
        PluginCandidate candidate = plugin.candidate();
        String name = candidate.path().getFileName().toString();
        if (candidate.jars().isEmpty()) {
            throw new PluginProblem("plugin folder " + name + "/ contains no JAR",
                    "put the plugin JAR and the JARs it depends on directly in " + candidate.path() + ", or remove the folder");
        }
        List<PluginJar> jars = new ArrayList<>();
        for (Path jar : candidate.jars()) {
            jars.add(PluginJar.read(jar));
        }
        List<PluginJar> described = jars.stream().filter(jar -> StrictDescriptorReader.declaresPlugin(jar.manifest())).toList();
        if (described.isEmpty()) {
            throw new PluginProblem((candidate.isFolder() ? "no JAR in " + name + "/ has a" : name + " has no")
                    + " plugin descriptor (Plugin-Id in META-INF/MANIFEST.MF)",
                    "add the PF4J manifest entries Plugin-Id and Plugin-Version to the plugin JAR"
                            + (candidate.isFolder() ? "" : ", or remove it from the plugins directory if it is not a Kavach plugin"));
        }
        if (described.size() > 1) {
            throw new PluginProblem("several JARs in " + name + "/ declare a plugin: "
                    + described.stream().map(jar -> jar.file().getFileName().toString()).collect(Collectors.joining(", ")),
                    "a plugin folder holds one plugin JAR and its dependency JARs; give each plugin its own folder");
        }
        PluginJar main = described.get(0);
        plugin.declaredId(main.manifest().getMainAttributes().getValue(StrictDescriptorReader.PLUGIN_ID));
        PluginDescriptor descriptor = descriptors.read(main.manifest(), main.file());
        plugin.descriptor(descriptor, main);
        List<String> bundling = jars.stream().filter(PluginJar::bundlesApi).map(jar -> jar.file().getFileName().toString()).toList();
        if (!bundling.isEmpty()) {
            throw new PluginProblem("plugin '" + descriptor.getPluginId() + "' bundles its own copy of dev.kavach.api (in "
                    + String.join(", ", bundling) + "); a plugin must use the host's API so that its backend is the host's BackendProvider",
                    "build the plugin with kavach-api as a provided (not bundled) dependency and remove dev/kavach/api/ from its JARs");
        }
        if (!descriptors.admits(descriptor, kavachVersion)) {
            throw new PluginProblem("plugin '" + descriptor.getPluginId() + "' " + descriptor.getVersion() + " requires Kavach "
                    + descriptor.getRequires() + " (Plugin-Requires), but this is Kavach " + kavachVersion,
                    "install a version of the plugin built for Kavach " + kavachVersion + ", or run a Kavach version matching "
                            + descriptor.getRequires());
        }
    }

    private static void rejectDuplicateIds(List<LoadedPlugin> plugins) {
        Map<String, LoadedPlugin> first = new LinkedHashMap<>();
        for (LoadedPlugin plugin : plugins) {
            if (plugin.failed()) {
                continue;
            }
            LoadedPlugin earlier = first.putIfAbsent(plugin.pluginId(), plugin);
            if (earlier != null) {
                plugin.fail("plugin id '" + plugin.pluginId() + "' is also used by " + earlier.path().getFileName()
                                + ", which was loaded instead",
                        "remove one of " + earlier.path().getFileName() + " and " + plugin.path().getFileName() + " from the plugins directory");
            }
        }
    }

    /** Fails plugins whose required dependencies are absent, failed or of the wrong version, until none is left to fail. */
    private void rejectUnsatisfiedDependencies(List<LoadedPlugin> plugins) {
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<String, LoadedPlugin> healthy = healthyById(plugins);
            for (LoadedPlugin plugin : healthy.values()) {
                for (PluginDependency dependency : descriptors.dependencies(plugin.descriptor())) {
                    String problem = dependencyProblem(dependency, healthy.get(dependency.getPluginId()), plugins);
                    if (problem != null) {
                        plugin.fail("plugin '" + plugin.pluginId() + "' depends on " + problem + " (Plugin-Dependencies: "
                                        + plugin.descriptor().getDependencies().stream().map(PluginDependency::toString).collect(Collectors.joining(", ")) + ")",
                                "put plugin '" + dependency.getPluginId() + "' matching " + dependency.getPluginVersionSupport()
                                        + " in the plugins directory, or remove " + plugin.path().getFileName());
                        changed = true;
                        break;
                    }
                }
            }
        }
    }

    private String dependencyProblem(PluginDependency dependency, LoadedPlugin target, List<LoadedPlugin> all) {
        String id = dependency.getPluginId();
        if (target == null) {
            if (dependency.isOptional()) {
                return null;
            }
            boolean present = all.stream().anyMatch(p -> id.equals(p.pluginId()));
            return "plugin '" + id + "', which " + (present ? "failed to load (see its own diagnostic)" : "is not in the plugins directory");
        }
        String support = dependency.getPluginVersionSupport();
        if (!descriptors.versions().checkVersionConstraint(target.version(), support)) {
            return "plugin '" + id + "' " + support + ", but version " + target.version() + " is installed";
        }
        return null;
    }

    /** Dependencies before dependents (PF4J's resolver); a cycle fails the plugins in it. */
    private List<LoadedPlugin> loadOrder(List<LoadedPlugin> plugins) {
        Map<String, LoadedPlugin> healthy = healthyById(plugins);
        DependencyResolver resolver = new DependencyResolver(descriptors.versions());
        DependencyResolver.Result result = resolver.resolve(healthy.values().stream().map(LoadedPlugin::descriptor).toList());
        List<LoadedPlugin> ordered = new ArrayList<>();
        if (result.hasCyclicDependency()) {
            for (LoadedPlugin plugin : healthy.values()) {
                if (!plugin.descriptor().getDependencies().isEmpty()) {
                    plugin.fail("plugin '" + plugin.pluginId() + "' is part of a cycle of Plugin-Dependencies",
                            "remove the cycle: plugins may depend on each other in one direction only");
                }
            }
        } else {
            for (String id : result.getSortedPlugins()) {
                LoadedPlugin plugin = healthy.get(id);
                if (plugin != null) {
                    ordered.add(plugin);
                }
            }
        }
        for (LoadedPlugin plugin : plugins) {
            if (!ordered.contains(plugin)) {
                ordered.add(plugin);
            }
        }
        return ordered;
    }

    private static Map<String, LoadedPlugin> healthyById(List<LoadedPlugin> plugins) {
        Map<String, LoadedPlugin> healthy = new LinkedHashMap<>();
        for (LoadedPlugin plugin : plugins) {
            if (!plugin.failed()) {
                healthy.putIfAbsent(plugin.pluginId(), plugin);
            }
        }
        return healthy;
    }

    private void define(LoadedPlugin plugin, Map<String, LoadedPlugin> loaded) throws PluginProblem {
        List<LoadedPlugin> dependencies = new ArrayList<>();
        for (PluginDependency dependency : descriptors.dependencies(plugin.descriptor())) {
            LoadedPlugin target = loaded.get(dependency.getPluginId());
            if (target != null) {
                dependencies.add(target);
            } else if (!dependency.isOptional()) {
                throw new PluginProblem("plugin '" + plugin.pluginId() + "' depends on plugin '" + dependency.getPluginId()
                        + "', which failed to load (see its own diagnostic)",
                        "fix plugin '" + dependency.getPluginId() + "' first, or remove " + plugin.path().getFileName());
            }
        }
        if (hostLayer != null) {
            loadIntoLayer(plugin, dependencies);
        } else {
            loadWithClassLoader(plugin);
        }
        if (plugin.backends().isEmpty() && plugin.extensions().isEmpty()) {
            throw new PluginProblem("plugin '" + plugin.pluginId() + "' provides no backend: no dev.kavach.api.BackendProvider "
                    + "or CommandExtension is declared in its JARs",
                    "declare 'provides dev.kavach.api.BackendProvider with <your class>' in module-info.java and list the class in "
                            + "META-INF/services/dev.kavach.api.BackendProvider");
        }
    }

    private void loadIntoLayer(LoadedPlugin plugin, List<LoadedPlugin> dependencies) throws PluginProblem {
        List<ModuleLayer> parents = new ArrayList<>();
        for (LoadedPlugin dependency : dependencies) {
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
            throw new PluginProblem("plugin '" + plugin.pluginId() + "' cannot be loaded as modules: " + e.getMessage(),
                    "make the plugin's JARs valid modules whose dependencies are present: put missing dependency JARs in a "
                            + "plugins/<name>/ folder with the plugin, and do not bundle modules or packages the host already has");
        }
        Module main = mainModule(layer, configuration, plugin.mainJar().file());
        if (main == null) {
            String name = ModuleFinder.of(plugin.mainJar().file()).findAll().stream().map(r -> r.descriptor().name()).findFirst().orElse("?");
            throw new PluginProblem("plugin '" + plugin.pluginId() + "' is module '" + name + "', a name the host or one of the plugin's "
                    + "Plugin-Dependencies already uses, so the plugin's own module is never loaded",
                    "give the plugin's module a name of its own in module-info.java (or Automatic-Module-Name)");
        }
        plugin.loadedInto(layer, main.getClassLoader());
        plugin.providers(
                ServiceProviders.instantiate(ServiceLoader.load(layer, BackendProvider.class), type -> type.getModule().getLayer() == layer),
                ServiceProviders.instantiate(ServiceLoader.load(layer, CommandExtension.class), type -> type.getModule().getLayer() == layer));
        try (InputStream in = main.getResourceAsStream("reference.conf")) {
            if (in != null) {
                plugin.reference(parseReference(plugin, in));
            }
        } catch (IOException e) {
            plugin.warn("cannot read reference.conf of plugin '" + plugin.pluginId() + "': " + e, "rebuild the plugin JAR");
        }
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

    /**
     * Kavach runs on the classpath: dev.kavach.api is then in the unnamed module, which a plugin module
     * could not read, so the plugin's JARs go on a class loader whose parent is the host's instead. Any
     * module-info is ignored here; providers must be listed in META-INF/services. Plugin-Dependencies are
     * checked but do not share classes in this mode (a class loader has one parent).
     */
    private void loadWithClassLoader(LoadedPlugin plugin) throws PluginProblem {
        List<URL> urls = new ArrayList<>();
        for (Path jar : plugin.candidate().jars()) {
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new PluginProblem("cannot turn " + jar + " into a URL: " + e.getMessage(), "rename the file to a plain name");
            }
        }
        URLClassLoader loader = new URLClassLoader("kavach-plugin-" + plugin.pluginId(), urls.toArray(URL[]::new), hostLoader);
        classLoaders.add(loader);
        plugin.loadedInto(null, loader);
        plugin.providers(
                ServiceProviders.instantiate(ServiceLoader.load(BackendProvider.class, loader), type -> type.getClassLoader() == loader),
                ServiceProviders.instantiate(ServiceLoader.load(CommandExtension.class, loader), type -> type.getClassLoader() == loader));
        String mainJarUrl;
        try {
            mainJarUrl = "jar:" + plugin.mainJar().file().toUri().toURL() + "!/reference.conf";
        } catch (MalformedURLException e) {
            return;
        }
        try {
            for (URL url : Collections.list(loader.findResources("reference.conf"))) {
                if (url.toString().equals(mainJarUrl)) {
                    URLConnection connection = url.openConnection();
                    connection.setUseCaches(false); // a cached JarFile would keep the plugin file open
                    try (InputStream in = connection.getInputStream()) {
                        plugin.reference(parseReference(plugin, in));
                    }
                }
            }
        } catch (IOException e) {
            plugin.warn("cannot read reference.conf of plugin '" + plugin.pluginId() + "': " + e, "rebuild the plugin JAR");
        }
    }

    private static Config parseReference(LoadedPlugin plugin, InputStream in) {
        String origin = "reference.conf in " + plugin.path().getFileName() + (plugin.candidate().isFolder() ? "/" + plugin.mainJar().file().getFileName() : "");
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return ConfigFactory.parseReader(reader, ConfigParseOptions.defaults().setOriginDescription(origin));
        } catch (ConfigException | IOException e) {
            plugin.warn("the plugin's reference.conf cannot be parsed, its defaults are ignored: " + e.getMessage(),
                    "fix the HOCON syntax of reference.conf in the plugin and rebuild it");
            return ConfigFactory.empty();
        }
    }
}
