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
import dev.kavach.core.plugin.LoadedPlugin;
import dev.kavach.core.plugin.PluginDiagnosticLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
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

    private final PluginDiagnosticLog log;
    private final Map<String, Registered> backends = new LinkedHashMap<>();
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
            if (plugin.failed()) {
                continue;
            }
            PluginCall guard = PluginCall.into(plugin, log);
            for (Instantiation<BackendProvider> provider : plugin.backends()) {
                register(provider, guard);
            }
            for (Instantiation<CommandExtension> extension : plugin.extensions()) {
                registerExtension(extension, guard);
            }
        }
    }

    public List<Registered> backends() {
        return List.copyOf(backends.values());
    }

    public Optional<Registered> backend(String id) {
        return Optional.ofNullable(backends.get(id));
    }

    public List<String> ids() {
        return List.copyOf(backends.keySet());
    }

    public List<ExtensionEntry> extensions() {
        return List.copyOf(extensions);
    }

    /** The backend ids a plugin contributed. */
    public List<String> idsOf(LoadedPlugin plugin) {
        return backends.values().stream().filter(r -> r.plugin() == plugin).map(r -> r.info().id()).toList();
    }

    /** Whether a plugin contributed any backend or extension. */
    public boolean contributed(LoadedPlugin plugin) {
        return !idsOf(plugin).isEmpty() || extensionPlugins.contains(plugin);
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
        Registered existing = backends.get(info.id());
        if (existing != null) {
            problem(guard, "backend id '" + info.id() + "' of " + provider.typeName() + " (" + guard.origin().describe() + ") is already provided by "
                            + existing.provider().getClass().getName() + " (" + existing.origin().describe() + "), which wins; this one is ignored",
                    "remove one of the two, or give one of the backends a different id");
            return;
        }
        backends.put(info.id(), new Registered(provider.instance(), info, guard));
        LOG.debug("registered backend '{}' (strength {}) from {}", info.id(), info.strength(), guard.origin().describe());
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
