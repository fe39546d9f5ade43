package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The part of a plugin's {@code reference.conf} it is allowed to define: {@code kavach.backends.<id>} for
 * its own backend ids. A plugin setting anything else (say {@code kavach.backend}) would silently change
 * Kavach for everyone, so such entries are dropped and reported.
 */
public final class PluginDefaults {
    private static final int MAX_LISTED = 5;

    private PluginDefaults() {
    }

    /** The allowed part of {@code plugin}'s reference.conf; a diagnostic of the plugin in {@code log} names what was dropped. */
    public static Config allowed(LoadedPlugin plugin, Collection<String> backendIds, PluginDiagnosticLog log) {
        Config reference = plugin.reference();
        Config allowed = ConfigFactory.empty();
        for (String id : backendIds) {
            String path = "kavach.backends." + id;
            if (reference.hasPathOrNull(path)) {
                allowed = allowed.withFallback(reference.withOnlyPath(path));
            }
        }
        List<String> rejected = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> entry : reference.entrySet()) {
            if (!allowedPath(ConfigUtil.splitPath(entry.getKey()), backendIds)) {
                rejected.add(entry.getKey() + " (" + entry.getValue().origin().description() + ")");
            }
        }
        if (!rejected.isEmpty()) {
            String ids = backendIds.size() == 1 ? backendIds.iterator().next() : "<" + String.join("|", backendIds) + ">";
            log.add(plugin, "reference.conf of plugin '" + plugin.pluginId() + "' defines settings outside kavach.backends."
                            + ids + ", which are ignored: "
                            + String.join(", ", rejected.subList(0, Math.min(MAX_LISTED, rejected.size())))
                            + (rejected.size() > MAX_LISTED ? " and " + (rejected.size() - MAX_LISTED) + " more" : ""),
                    "a plugin's reference.conf may only define kavach.backends.<its backend id>; move or remove the other entries");
        }
        return allowed;
    }

    private static boolean allowedPath(List<String> path, Collection<String> backendIds) {
        return path.size() >= 4 && path.get(0).equals("kavach") && path.get(1).equals("backends") && backendIds.contains(path.get(2));
    }
}
