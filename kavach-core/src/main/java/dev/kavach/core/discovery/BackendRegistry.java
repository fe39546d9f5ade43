package dev.kavach.core.discovery;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.api.ProbeCheck;
import dev.kavach.core.BackendEntry;
import dev.kavach.core.BackendOrigin;
import dev.kavach.core.ExtensionEntry;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;
import dev.kavach.core.plugin.LoadedPlugin;
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
 * Probes run once per backend, on first use, and never let an exception escape: a throwing probe makes
 * the backend unavailable with that reason.
 */
public final class BackendRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);

    /** A backend and where it came from. */
    public record Registered(BackendProvider provider, BackendInfo info, BackendOrigin origin, ClassLoader loader, LoadedPlugin plugin) {
        public Registered {
            requireNonNull(provider, "provider is null");
            requireNonNull(info, "info is null");
            requireNonNull(origin, "origin is null");
        }
    }

    private final Map<String, Registered> backends = new LinkedHashMap<>();
    private final List<ExtensionEntry> extensions = new ArrayList<>();
    private final Map<String, LoadedPlugin> extensionPlugins = new LinkedHashMap<>();
    private final Map<String, Availability> probes = new ConcurrentHashMap<>();

    /** Registers built-ins, then plugins in load order. */
    public BackendRegistry(List<Instantiation<BackendProvider>> builtIns, List<Instantiation<CommandExtension>> builtInExtensions,
                           List<LoadedPlugin> plugins) {
        for (Instantiation<BackendProvider> builtIn : builtIns) {
            register(builtIn, BackendOrigin.BUILT_IN, null);
        }
        for (Instantiation<CommandExtension> extension : builtInExtensions) {
            registerExtension(extension, BackendOrigin.BUILT_IN, null);
        }
        for (LoadedPlugin plugin : plugins) {
            if (plugin.failed()) {
                continue;
            }
            for (Instantiation<BackendProvider> provider : plugin.backends()) {
                register(provider, plugin.origin(), plugin);
            }
            for (Instantiation<CommandExtension> extension : plugin.extensions()) {
                registerExtension(extension, plugin.origin(), plugin);
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
        return !idsOf(plugin).isEmpty() || extensionPlugins.containsValue(plugin);
    }

    /** The backend's availability, probed on first request with the context {@code contexts} makes. */
    public BackendEntry entry(Registered backend, Function<String, BackendContext> contexts) {
        Availability availability = probes.computeIfAbsent(backend.info().id(), id -> probe(backend, contexts.apply(id)));
        return new BackendEntry(backend.info(), backend.origin(), availability);
    }

    private Availability probe(Registered backend, BackendContext context) {
        String id = backend.info().id();
        try {
            Availability availability = ThreadContextLoader.call(backend.loader(), () -> backend.provider().probe(context));
            if (availability == null) {
                return failedProbe(backend, "probe of backend '" + id + "' returned no result");
            }
            return availability;
        } catch (RuntimeException | Error e) {
            ServiceProviders.rethrowIfFatal(e);
            return failedProbe(backend, "probe of backend '" + id + "' threw " + ServiceProviders.describe(e));
        }
    }

    private Availability failedProbe(Registered backend, String reason) {
        String fix = backend.plugin() == null
                ? "this is a bug in the built-in backend '" + backend.info().id() + "'; report it"
                : "report this to the author of plugin '" + backend.origin().pluginId() + "', or remove " + backend.origin().file().getFileName();
        if (backend.plugin() != null) {
            backend.plugin().warn(reason + "; the backend is unavailable", fix);
        } else {
            LOG.warn("{}; the backend is unavailable ({})", reason, fix);
        }
        return Availability.of(ProbeCheck.missing("probe", reason, fix));
    }

    private void register(Instantiation<BackendProvider> provider, BackendOrigin origin, LoadedPlugin plugin) {
        if (provider.failed()) {
            problem(plugin, "backend provider " + provider.typeName() + " could not be created: " + provider.failureText(),
                    "the provider's constructor must not fail or do work (see BackendProvider); report this to the plugin's author");
            return;
        }
        BackendInfo info;
        try {
            info = ThreadContextLoader.call(loaderOf(plugin), () -> provider.instance().info());
        } catch (RuntimeException | Error e) {
            ServiceProviders.rethrowIfFatal(e);
            problem(plugin, "backend provider " + provider.typeName() + " failed in info(): " + ServiceProviders.describe(e),
                    "info() must return a constant description; report this to the plugin's author");
            return;
        }
        if (info == null) {
            problem(plugin, "backend provider " + provider.typeName() + " returned no info()", "info() must return a BackendInfo; report this to the plugin's author");
            return;
        }
        Registered existing = backends.get(info.id());
        if (existing != null) {
            problem(plugin, "backend id '" + info.id() + "' of " + provider.typeName() + " (" + origin.describe() + ") is already provided by "
                            + existing.provider().getClass().getName() + " (" + existing.origin().describe() + "), which wins; this one is ignored",
                    "remove one of the two, or give one of the backends a different id");
            return;
        }
        backends.put(info.id(), new Registered(provider.instance(), info, origin, loaderOf(plugin), plugin));
    }

    private void registerExtension(Instantiation<CommandExtension> extension, BackendOrigin origin, LoadedPlugin plugin) {
        if (extension.failed()) {
            problem(plugin, "command extension " + extension.typeName() + " could not be created: " + extension.failureText(),
                    "the extension's constructor must not fail; report this to the plugin's author");
            return;
        }
        String name;
        try {
            name = extension.instance().name();
        } catch (RuntimeException | Error e) {
            ServiceProviders.rethrowIfFatal(e);
            problem(plugin, "command extension " + extension.typeName() + " failed in name(): " + ServiceProviders.describe(e),
                    "report this to the plugin's author");
            return;
        }
        Optional<ExtensionEntry> existing = extensions.stream().filter(e -> e.extension().name().equals(name)).findFirst();
        if (existing.isPresent()) {
            problem(plugin, "command 'kavach " + name + "' of " + extension.typeName() + " (" + origin.describe() + ") is already provided by "
                            + existing.get().extension().getClass().getName() + " (" + existing.get().origin().describe() + "); this one is ignored",
                    "remove one of the two plugins");
            return;
        }
        extensions.add(new ExtensionEntry(extension.instance(), origin));
        if (plugin != null) {
            extensionPlugins.put(name, plugin);
        }
    }

    private static ClassLoader loaderOf(LoadedPlugin plugin) {
        return plugin == null ? null : plugin.loader();
    }

    private static void problem(LoadedPlugin plugin, String reason, String fix) {
        if (plugin != null) {
            plugin.warn(reason, fix);
        } else {
            LOG.warn("{} ({})", reason, fix);
        }
    }
}
