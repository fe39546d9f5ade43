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
 * One entry of the plugins directory as loading left it: loaded with its classes and providers, or failed,
 * with the problems found while loading. Immutable; what goes wrong later, while Kavach uses the plugin,
 * is kept by a {@link PluginDiagnosticLog}.
 */
public final class LoadedPlugin {
    private final PluginCandidate candidate;
    private final String pluginId;
    private final String version;
    private final PluginClasses classes;
    private final List<PluginDiagnostic> diagnostics;

    private LoadedPlugin(PluginCandidate candidate, String pluginId, String version, PluginClasses classes, List<PluginProblem> problems) {
        this.candidate = requireNonNull(candidate, "candidate is null");
        this.pluginId = pluginId;
        this.version = version;
        this.classes = classes;
        List<PluginDiagnostic> list = new ArrayList<>();
        for (PluginProblem problem : problems) {
            list.add(new PluginDiagnostic(candidate.path(), pluginId, problem.reason(), problem.fix()));
        }
        this.diagnostics = List.copyOf(list);
    }

    static LoadedPlugin loaded(DescribedPlugin plugin, PluginClasses classes) {
        return new LoadedPlugin(plugin.candidate(), plugin.pluginId(), plugin.version(), requireNonNull(classes, "classes is null"), classes.warnings());
    }

    static LoadedPlugin failed(PluginCandidate candidate, PluginProblem problem) {
        return new LoadedPlugin(candidate, problem.pluginId(), problem.version(), null, List.of(problem));
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

    /** Whether a problem stopped the plugin from loading at all. */
    public boolean failed() {
        return classes == null;
    }

    /** The problems found while loading, each with its fix. */
    public List<PluginDiagnostic> diagnostics() {
        return diagnostics;
    }

    public BackendOrigin origin() {
        return BackendOrigin.plugin(candidate.path(), pluginId == null ? candidate.path().getFileName().toString() : pluginId);
    }

    /** The class loader of the plugin's classes (in a layer: the loader of its modules); {@code null} when it failed. */
    public ClassLoader loader() {
        return classes == null ? null : classes.loader();
    }

    public List<Instantiation<BackendProvider>> backends() {
        return classes == null ? List.of() : classes.backends();
    }

    public List<Instantiation<CommandExtension>> extensions() {
        return classes == null ? List.of() : classes.extensions();
    }

    /** The plugin's own {@code reference.conf}, parsed but not yet checked against its backend ids. */
    public Config reference() {
        return classes == null ? ConfigFactory.empty() : classes.reference();
    }

    @Override
    public String toString() {
        return "plugin " + (pluginId == null ? "?" : pluginId) + " (" + candidate.path() + (failed() ? ", failed" : "") + ")";
    }
}
