package dev.kavach.core.discovery;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.KavachException;
import dev.kavach.api.ProbeCheck;
import dev.kavach.core.BackendEntry;
import dev.kavach.core.BackendOrigin;
import dev.kavach.core.ExtensionEntry;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;
import dev.kavach.core.plugin.DeclaredBackend;
import dev.kavach.core.plugin.LoadedPlugin;
import dev.kavach.core.plugin.PluginDiagnosticLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * Every backend and command extension Kavach found, built-ins first, keyed by id. When two providers share
 * an id the built-in (or the one found first) wins and the other becomes a diagnostic naming both.
 * Probes run once per backend, on first use, through the backend's {@link PluginCall} and never let an
 * exception escape: a probe that throws makes the backend unavailable with that reason, and a
 * {@link ConfigurationException} from it is also kept, so that selecting the backend reports the user's
 * setting rather than an unavailable backend.
 *
 * <p>A deferred plugin ({@link LoadedPlugin#deferred()}) holds its place in the order with the backends its
 * manifest declares; it is loaded, and its real providers take those places, when one of its backends is
 * asked for ({@link #backend}), when every backend or extension is ({@link #backends}, {@link #extensions}),
 * and never for {@link #ids} or {@link #ranked}. Thread-safe.
 */
public final class BackendRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);

    /** A backend, and the guard every call into it goes through (which also says where it came from). */
    public record Registered(BackendProvider provider, BackendInfo info, PluginCall guard) {
        public Registered {
            requireNonNull(provider, "provider is null");
            requireNonNull(info, "info is null");
            requireNonNull(guard, "guard is null");
        }

        public BackendOrigin origin() {
            return guard.origin();
        }

        /** The plugin it came from; {@code null} for a built-in. */
        public LoadedPlugin plugin() {
            return guard.plugin();
        }
    }

    /**
     * A backend as {@link #ranked} sees it: registered, or only declared by a deferred plugin.
     *
     * @param declaration what its deferred plugin declares; empty once it is registered
     */
    public record Candidate(String id, int strength, BackendOrigin origin, Optional<DeclaredBackend> declaration) {
    }

    /** A backend a deferred plugin declares, in the place its provider will take. */
    private record Declared(DeclaredBackend backend, LoadedPlugin plugin) {
    }

    private final PluginDiagnosticLog log;
    /** Every backend id in registration order: a {@link Registered} or, until its plugin loads, a {@link Declared}. */
    private final Map<String, Object> backends = new LinkedHashMap<>();
    /** The ids whose deferred plugin failed to load or did not provide them, with that plugin. */
    private final Map<String, LoadedPlugin> lost = new LinkedHashMap<>();
    private final List<ExtensionEntry> extensions = new ArrayList<>();
    private final List<LoadedPlugin> extensionPlugins = new ArrayList<>();
    private final Map<String, Availability> probes = new ConcurrentHashMap<>();
    private final Map<String, ConfigurationException> configurationErrors = new ConcurrentHashMap<>();

    /** Registers built-ins, then plugins in load order; plugins' problems go to {@code log}. */
    public BackendRegistry(List<Instantiation<BackendProvider>> builtIns, List<Instantiation<CommandExtension>> builtInExtensions,
                           List<LoadedPlugin> plugins, PluginDiagnosticLog log) {
        this.log = requireNonNull(log, "log is null");
        for (Instantiation<BackendProvider> builtIn : builtIns) {
            register(builtIn, PluginCall.builtIn());
        }
        for (Instantiation<CommandExtension> extension : builtInExtensions) {
            registerExtension(extension, PluginCall.builtIn());
        }
        for (LoadedPlugin plugin : plugins) {
            if (plugin.deferred()) {
                PluginCall guard = PluginCall.into(plugin, log);
                for (DeclaredBackend declared : plugin.declared()) {
                    if (!clashes(declared.id(), guard, DeclaredBackend.MANIFEST_KEY)) {
                        backends.put(declared.id(), new Declared(declared, plugin));
                    }
                }
            } else if (!plugin.failed()) {
                registerClasses(plugin);
            }
        }
    }

    private void registerClasses(LoadedPlugin plugin) {
        PluginCall guard = PluginCall.into(plugin, log);
        for (Instantiation<BackendProvider> provider : plugin.backends()) {
            register(provider, guard);
        }
        for (Instantiation<CommandExtension> extension : plugin.extensions()) {
            registerExtension(extension, guard);
        }
    }

    /** Every backend, each deferred plugin loaded first. */
    public synchronized List<Registered> backends() {
        loadDeferred();
        return backends.values().stream().map(Registered.class::cast).toList();
    }

    /** The backend {@code id}, its deferred plugin loaded first; empty when none has that id (any more). */
    public synchronized Optional<Registered> backend(String id) {
        if (backends.get(id) instanceof Declared declared) {
            load(declared.plugin());
        }
        return backends.get(id) instanceof Registered registered ? Optional.of(registered) : Optional.empty();
    }

    /** The deferred plugin that declared {@code id} and then failed to load or did not provide it. */
    public synchronized Optional<LoadedPlugin> lostWith(String id) {
        return Optional.ofNullable(lost.get(id));
    }

    /** Every backend id, declared ones included; loads nothing. */
    public synchronized List<String> ids() {
        return List.copyOf(backends.keySet());
    }

    /**
     * The backends {@code kavach.backend = auto} may choose (strength above 0), strongest first, then
     * built-ins before plugins, then by id; deferred plugins' by what they declare, without loading them.
     */
    public synchronized List<Candidate> ranked() {
        List<Candidate> ranked = new ArrayList<>();
        for (Map.Entry<String, Object> entry : backends.entrySet()) {
            if (entry.getValue() instanceof Registered registered) {
                ranked.add(new Candidate(entry.getKey(), registered.info().strength(), registered.origin(), Optional.empty()));
            } else if (entry.getValue() instanceof Declared declared) {
                ranked.add(new Candidate(entry.getKey(), declared.backend().strength(), declared.plugin().origin(),
                        Optional.of(declared.backend())));
            }
        }
        return ranked.stream().filter(candidate -> candidate.strength() > 0)
                .sorted(Comparator.comparingInt((Candidate candidate) -> -candidate.strength())
                        .thenComparing(candidate -> candidate.origin().kind())
                        .thenComparing(Candidate::id))
                .toList();
    }

    /** Every command extension, each deferred plugin loaded first. */
    public synchronized List<ExtensionEntry> extensions() {
        loadDeferred();
        return List.copyOf(extensions);
    }

    /** The backend ids a plugin contributed, or declared while it is deferred. */
    public synchronized List<String> idsOf(LoadedPlugin plugin) {
        List<String> ids = new ArrayList<>();
        backends.forEach((id, backend) -> {
            if (backend instanceof Registered registered && registered.plugin() == plugin
                    || backend instanceof Declared declared && declared.plugin() == plugin) {
                ids.add(id);
            }
        });
        return List.copyOf(ids);
    }

    /** Whether a plugin contributed any backend or extension (a deferred one: declared any backend). */
    public synchronized boolean contributed(LoadedPlugin plugin) {
        return !idsOf(plugin).isEmpty() || extensionPlugins.contains(plugin);
    }

    /** Loads every deferred plugin. */
    private void loadDeferred() {
        List<LoadedPlugin> deferred = new ArrayList<>();
        for (Object backend : backends.values()) {
            if (backend instanceof Declared declared && !deferred.contains(declared.plugin())) {
                deferred.add(declared.plugin());
            }
        }
        deferred.forEach(this::load);
    }

    /**
     * Loads a deferred plugin and puts its providers in the places it declared; what it provides beyond or
     * short of its declaration, or with another strength, becomes its diagnostic (the declaration steered
     * {@code auto} without loading it, so it must be true).
     */
    private void load(LoadedPlugin plugin) {
        if (!plugin.load()) {
            return;
        }
        Map<String, DeclaredBackend> declared = new LinkedHashMap<>();
        backends.forEach((id, backend) -> {
            if (backend instanceof Declared d && d.plugin() == plugin) {
                declared.put(id, d.backend());
            }
        });
        if (plugin.failed()) {
            declared.keySet().forEach(id -> {
                backends.remove(id);
                lost.put(id, plugin);
            });
            LOG.debug("deferred plugin {} failed to load: {}", plugin.path(), plugin.diagnostics());
            return;
        }
        registerClasses(plugin);
        for (Map.Entry<String, DeclaredBackend> entry : declared.entrySet()) {
            String id = entry.getKey();
            if (backends.get(id) instanceof Registered registered && registered.plugin() == plugin) {
                if (registered.info().strength() != entry.getValue().strength()) {
                    log.add(plugin, "plugin '" + plugin.pluginId() + "' declares backend '" + id + "' with strength " + entry.getValue().strength()
                                    + " in " + DeclaredBackend.MANIFEST_KEY + ", but its provider says " + registered.info().strength(),
                            "make " + DeclaredBackend.MANIFEST_KEY + " in the plugin's manifest match BackendInfo.strength()");
                }
            } else {
                backends.remove(id);
                lost.put(id, plugin);
                log.add(plugin, "plugin '" + plugin.pluginId() + "' declares backend '" + id + "' in " + DeclaredBackend.MANIFEST_KEY
                                + ", but provides no backend with that id",
                        "make " + DeclaredBackend.MANIFEST_KEY + " in the plugin's manifest list exactly the ids its providers' info() return");
            }
        }
        for (String id : idsOf(plugin)) {
            if (!declared.containsKey(id)) {
                log.add(plugin, "plugin '" + plugin.pluginId() + "' provides backend '" + id + "', which its " + DeclaredBackend.MANIFEST_KEY
                                + " does not declare, so kavach.backend = auto could not consider it before the plugin loaded",
                        "add '" + id + "; strength=<n>' to " + DeclaredBackend.MANIFEST_KEY + " in the plugin's manifest");
            }
        }
    }

    /** The backend's availability, probed on first request with the context {@code contexts} makes. */
    public BackendEntry entry(Registered backend, Function<String, BackendContext> contexts) {
        Availability availability = probes.computeIfAbsent(backend.info().id(), id -> probe(backend, contexts));
        return new BackendEntry(backend.info(), backend.origin(), availability);
    }

    /** The user's setting that the backend's probe refused, if it did; known once the backend was probed. */
    public Optional<ConfigurationException> configurationError(String id) {
        return Optional.ofNullable(configurationErrors.get(id));
    }

    private Availability probe(Registered backend, Function<String, BackendContext> contexts) {
        long started = System.nanoTime();
        Availability availability = probeOnce(backend, contexts);
        if (LOG.isDebugEnabled()) {
            LOG.debug("probed backend '{}' ({}) in {} ms: {}", backend.info().id(), backend.origin().describe(),
                    (System.nanoTime() - started) / 1_000_000, availability.available() ? "available" : "unavailable");
            for (ProbeCheck check : availability.checks()) {
                LOG.debug("  {} {}{}: {}", check.passed() ? "ok     " : check.required() ? "MISSING" : "lacks  ", check.name(),
                        check.required() ? "" : " (optional)", check.detail());
            }
        }
        return availability;
    }

    private Availability probeOnce(Registered backend, Function<String, BackendContext> contexts) {
        String id = backend.info().id();
        try {
            BackendContext context = contexts.apply(id);
            return backend.guard().callNonNull("probe of backend '" + id + "'", () -> backend.provider().probe(context));
        } catch (ConfigurationException e) {
            configurationErrors.put(id, e);
            return Availability.of(ProbeCheck.missing("configuration", e.getMessage(), e.fix()));
        } catch (KavachException e) {
            // a PluginBugException is already the plugin's diagnostic; any other was thrown on purpose, with its fix
            return Availability.of(ProbeCheck.missing("probe", e.getMessage(), e.fix()));
        }
    }

    private void register(Instantiation<BackendProvider> provider, PluginCall guard) {
        if (provider.failed()) {
            problem(guard, "backend provider " + provider.typeName() + " could not be created: " + provider.failureText(),
                    "the provider's constructor must not fail or do work (see BackendProvider); report this to the plugin's author");
            return;
        }
        BackendInfo info;
        try {
            info = guard.callNonNull("info() of backend provider " + provider.typeName(), () -> provider.instance().info());
        } catch (PluginBugException e) {
            return; // already the plugin's diagnostic
        } catch (KavachException e) {
            problem(guard, "backend provider " + provider.typeName() + " refused info(): " + e.getMessage(), e.fix());
            return;
        }
        if (backends.get(info.id()) instanceof Declared declared && declared.plugin() == guard.plugin()) {
            backends.put(info.id(), new Registered(provider.instance(), info, guard)); // the place its plugin declared
        } else if (clashes(info.id(), guard, provider.typeName())) {
            return;
        } else {
            backends.put(info.id(), new Registered(provider.instance(), info, guard));
        }
        LOG.debug("registered backend '{}' (strength {}) from {}", info.id(), info.strength(), guard.origin().describe());
    }

    /** Whether {@code id} is taken already: the one registered (or declared) first wins, and the other becomes a diagnostic. */
    private boolean clashes(String id, PluginCall guard, String typeName) {
        Object existing = backends.get(id);
        if (existing == null) {
            return false;
        }
        String holder = existing instanceof Registered registered
                ? registered.provider().getClass().getName() + " (" + registered.origin().describe() + ")"
                : "the declaration of " + ((Declared) existing).plugin().origin().describe();
        problem(guard, "backend id '" + id + "' of " + typeName + " (" + guard.origin().describe() + ") is already provided by "
                        + holder + ", which wins; this one is ignored",
                "remove one of the two, or give one of the backends a different id");
        return true;
    }

    private void registerExtension(Instantiation<CommandExtension> extension, PluginCall guard) {
        if (extension.failed()) {
            problem(guard, "command extension " + extension.typeName() + " could not be created: " + extension.failureText(),
                    "the extension's constructor must not fail; report this to the plugin's author");
            return;
        }
        String name;
        try {
            name = guard.callNonNull("name() of command extension " + extension.typeName(), () -> extension.instance().name());
        } catch (PluginBugException e) {
            return;
        } catch (KavachException e) {
            problem(guard, "command extension " + extension.typeName() + " refused name(): " + e.getMessage(), e.fix());
            return;
        }
        Optional<ExtensionEntry> existing = extensions.stream().filter(e -> e.name().equals(name)).findFirst();
        if (existing.isPresent()) {
            problem(guard, "command 'kavach " + name + "' of " + extension.typeName() + " (" + guard.origin().describe() + ") is already provided by "
                            + existing.get().extension().getClass().getName() + " (" + existing.get().origin().describe() + "); this one is ignored",
                    "remove one of the two plugins");
            return;
        }
        extensions.add(new ExtensionEntry(extension.instance(), guard, name));
        if (guard.plugin() != null) {
            extensionPlugins.add(guard.plugin());
        }
    }

    private void problem(PluginCall guard, String reason, String fix) {
        if (guard.plugin() != null) {
            log.add(guard.plugin(), reason, fix);
        } else {
            LOG.warn("{} ({})", reason, fix);
        }
    }
}
