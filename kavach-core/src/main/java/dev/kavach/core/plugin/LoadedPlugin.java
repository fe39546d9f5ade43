package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.BackendOrigin;
import dev.kavach.core.PluginDiagnostic;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;
import org.pf4j.PluginDescriptor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One plugin as the loader saw it: its descriptor, its class loading (a module layer or a class loader),
 * the providers it instantiated and every problem found. Diagnostics may still be added later by the
 * backend registry (duplicate ids, failing probes) before the report is built.
 */
public final class LoadedPlugin {
    private final PluginCandidate candidate;
    private final List<PluginDiagnostic> diagnostics = new ArrayList<>();
    private PluginDescriptor descriptor;
    private String declaredId;
    private PluginJar mainJar;
    private boolean failed;
    private ModuleLayer layer;
    private ClassLoader loader;
    private List<Instantiation<BackendProvider>> backends = List.of();
    private List<Instantiation<CommandExtension>> extensions = List.of();
    private Config reference = ConfigFactory.empty();

    LoadedPlugin(PluginCandidate candidate) {
        this.candidate = requireNonNull(candidate, "candidate is null");
    }

    public Path path() {
        return candidate.path();
    }

    PluginCandidate candidate() {
        return candidate;
    }

    /** The plugin id, or {@code null} when the descriptor could not be read. */
    public String pluginId() {
        return descriptor != null ? descriptor.getPluginId() : declaredId;
    }

    /** The id from the manifest, known before the descriptor is validated, so diagnostics can name it. */
    void declaredId(String value) {
        this.declaredId = value == null || value.isBlank() ? null : value.trim();
    }

    public String version() {
        return descriptor == null ? null : descriptor.getVersion();
    }

    PluginDescriptor descriptor() {
        return descriptor;
    }

    void descriptor(PluginDescriptor value, PluginJar jar) {
        this.descriptor = value;
        this.mainJar = jar;
    }

    PluginJar mainJar() {
        return mainJar;
    }

    /** Whether a problem stopped the plugin from loading at all. */
    public boolean failed() {
        return failed;
    }

    void fail(PluginProblem problem) {
        fail(problem.reason(), problem.fix());
    }

    void fail(String reason, String fix) {
        failed = true;
        warn(reason, fix);
    }

    /** Adds a diagnostic that does not by itself stop the plugin. */
    public synchronized void warn(String reason, String fix) {
        diagnostics.add(new PluginDiagnostic(candidate.path(), pluginId(), reason, fix));
    }

    public synchronized List<PluginDiagnostic> diagnostics() {
        return List.copyOf(diagnostics);
    }

    public BackendOrigin origin() {
        return BackendOrigin.plugin(candidate.path(), pluginId() == null ? candidate.path().getFileName().toString() : pluginId());
    }

    ModuleLayer layer() {
        return layer;
    }

    /** The class loader of the plugin's classes (in a layer: the loader of its modules). */
    public ClassLoader loader() {
        return loader;
    }

    void loadedInto(ModuleLayer value, ClassLoader classLoader) {
        this.layer = value;
        this.loader = classLoader;
    }

    public List<Instantiation<BackendProvider>> backends() {
        return backends;
    }

    public List<Instantiation<CommandExtension>> extensions() {
        return extensions;
    }

    void providers(List<Instantiation<BackendProvider>> backendProviders, List<Instantiation<CommandExtension>> commandExtensions) {
        this.backends = List.copyOf(backendProviders);
        this.extensions = List.copyOf(commandExtensions);
    }

    /** The plugin's own {@code reference.conf}, parsed but not yet checked against its backend ids. */
    public Config reference() {
        return reference;
    }

    void reference(Config value) {
        this.reference = requireNonNull(value, "value is null");
    }
}
