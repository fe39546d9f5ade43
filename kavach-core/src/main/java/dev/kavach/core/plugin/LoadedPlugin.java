package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.BackendOrigin;
import dev.kavach.core.PluginDiagnostic;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One entry of the plugins directory: loaded with its classes and providers, failed with the problems found
 * while loading, or deferred: described, with its {@linkplain #declared() declared backends} and its
 * reference.conf known, and its classes loaded only when Kavach first needs one of its backends
 * ({@link #load()}), after which it is loaded or failed for good. What goes wrong later, while Kavach uses
 * the plugin, is kept by a {@link PluginDiagnosticLog}. Thread-safe.
 */
public final class LoadedPlugin {
    private final PluginCandidate candidate;
    private final String pluginId;
    private final String version;
    private final List<DeclaredBackend> declared;
    private final Config reference;
    /** Set while deferred; cleared once loaded or failed. */
    private DescribedPlugin described;
    private PluginLayerFactory factory;
    private PluginClasses classes;
    private List<PluginDiagnostic> diagnostics;

    private LoadedPlugin(PluginCandidate candidate, String pluginId, String version, List<DeclaredBackend> declared, Config reference) {
        this.candidate = requireNonNull(candidate, "candidate is null");
        this.pluginId = pluginId;
        this.version = version;
        this.declared = List.copyOf(declared);
        this.reference = requireNonNull(reference, "reference is null");
        this.diagnostics = List.of();
    }

    static LoadedPlugin loaded(DescribedPlugin plugin, PluginClasses classes) {
        LoadedPlugin loaded = new LoadedPlugin(plugin.candidate(), plugin.pluginId(), plugin.version(), plugin.declared(), plugin.reference());
        loaded.complete(requireNonNull(classes, "classes is null"), plugin.warnings());
        return loaded;
    }

    static LoadedPlugin failed(PluginCandidate candidate, PluginProblem problem) {
        LoadedPlugin failed = new LoadedPlugin(candidate, problem.pluginId(), problem.version(), List.of(), ConfigFactory.empty());
        failed.diagnostics = failed.diagnosticsOf(List.of(problem));
        return failed;
    }

    /** A plugin whose classes {@code factory} defines on the first {@link #load()}. */
    static LoadedPlugin deferred(DescribedPlugin plugin, PluginLayerFactory factory) {
        LoadedPlugin deferred = new LoadedPlugin(plugin.candidate(), plugin.pluginId(), plugin.version(), plugin.declared(), plugin.reference());
        deferred.described = plugin;
        deferred.factory = requireNonNull(factory, "factory is null");
        deferred.diagnostics = deferred.diagnosticsOf(plugin.warnings());
        return deferred;
    }

    /**
     * Loads a deferred plugin's classes now (a no-op once loaded or failed).
     *
     * @return whether this call loaded it (or failed to), so that the caller registers what it provides once
     */
    public synchronized boolean load() {
        if (described == null) {
            return false;
        }
        DescribedPlugin plugin = described;
        described = null;
        try {
            complete(PluginLoader.define(factory, plugin, List.of()), plugin.warnings());
        } catch (PluginProblem problem) {
            List<PluginProblem> problems = new ArrayList<>(plugin.warnings());
            problems.add(problem);
            diagnostics = diagnosticsOf(problems);
        }
        factory = null;
        return true;
    }

    private void complete(PluginClasses loaded, List<PluginProblem> warnings) {
        classes = loaded;
        diagnostics = diagnosticsOf(warnings);
    }

    private List<PluginDiagnostic> diagnosticsOf(List<PluginProblem> problems) {
        List<PluginDiagnostic> list = new ArrayList<>();
        for (PluginProblem problem : problems) {
            list.add(new PluginDiagnostic(candidate.path(), pluginId, problem.reason(), problem.fix()));
        }
        return List.copyOf(list);
    }

    public Path path() {
        return candidate.path();
    }

    /** The plugin id, or {@code null} when the descriptor could not be read. */
    public String pluginId() {
        return pluginId;
    }

    /** The plugin version, or {@code null} when the descriptor could not be read. */
    public String version() {
        return version;
    }

    /** Whether its classes wait for {@link #load()}. */
    public synchronized boolean deferred() {
        return described != null;
    }

    /** Whether a problem stopped the plugin from loading at all (a deferred plugin has not failed yet). */
    public synchronized boolean failed() {
        return classes == null && described == null;
    }

    /** The backends its manifest declares; empty when it declares none (it was then loaded at once). */
    public List<DeclaredBackend> declared() {
        return declared;
    }

    /** The problems found while loading, each with its fix. */
    public synchronized List<PluginDiagnostic> diagnostics() {
        return diagnostics;
    }

    public BackendOrigin origin() {
        return BackendOrigin.plugin(candidate.path(), pluginId == null ? candidate.path().getFileName().toString() : pluginId);
    }

    /** The class loader of the plugin's classes (in a layer: the loader of its modules); {@code null} unless loaded. */
    public synchronized ClassLoader loader() {
        return classes == null ? null : classes.loader();
    }

    public synchronized List<Instantiation<BackendProvider>> backends() {
        return classes == null ? List.of() : classes.backends();
    }

    public synchronized List<Instantiation<CommandExtension>> extensions() {
        return classes == null ? List.of() : classes.extensions();
    }

    /** The plugin's own {@code reference.conf}, parsed but not yet checked against its backend ids. */
    public Config reference() {
        return reference;
    }

    @Override
    public String toString() {
        return "plugin " + (pluginId == null ? "?" : pluginId) + " (" + candidate.path() + (failed() ? ", failed" : deferred() ? ", deferred" : "") + ")";
    }
}
