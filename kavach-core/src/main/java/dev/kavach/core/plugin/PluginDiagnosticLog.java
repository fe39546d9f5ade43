package dev.kavach.core.plugin;

import dev.kavach.core.PluginDiagnostic;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Problems of loaded plugins found after loading, while Kavach uses them: a provider that failed in
 * {@code info()}, a clashing backend id, a probe or an exec that threw. Thread-safe; a problem that repeats
 * (the same exec bug on every call) is kept once, and at most {@value #MAX_PER_PLUGIN} per plugin, so a
 * long-lived embedder's memory stays bounded.
 */
public final class PluginDiagnosticLog {
    static final int MAX_PER_PLUGIN = 32;

    private final Map<LoadedPlugin, List<PluginDiagnostic>> byPlugin = new IdentityHashMap<>();

    public void add(LoadedPlugin plugin, String reason, String fix) {
        requireNonNull(plugin, "plugin is null");
        PluginDiagnostic diagnostic = new PluginDiagnostic(plugin.path(), plugin.pluginId(), reason, fix);
        synchronized (byPlugin) {
            List<PluginDiagnostic> list = byPlugin.computeIfAbsent(plugin, p -> new ArrayList<>());
            if (list.size() < MAX_PER_PLUGIN && !list.contains(diagnostic)) {
                list.add(diagnostic);
            }
        }
    }

    /** Every diagnostic of {@code plugin}: those from loading, then those found since. */
    public List<PluginDiagnostic> of(LoadedPlugin plugin) {
        List<PluginDiagnostic> all = new ArrayList<>(plugin.diagnostics());
        synchronized (byPlugin) {
            all.addAll(byPlugin.getOrDefault(plugin, List.of()));
        }
        return List.copyOf(all);
    }
}
