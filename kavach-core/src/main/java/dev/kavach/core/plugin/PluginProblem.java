package dev.kavach.core.plugin;

import static java.util.Objects.requireNonNull;

/**
 * A reason a plugin cannot load, with its fix; caught per plugin and turned into a diagnostic. It carries
 * the plugin's id and version when they were known before the problem was found, so that the report can
 * still name the plugin.
 */
final class PluginProblem extends Exception {
    private static final long serialVersionUID = 1L;
    private final String fix;
    private final String pluginId;
    private final String version;

    PluginProblem(String reason, String fix) {
        this(reason, fix, null, null);
    }

    private PluginProblem(String reason, String fix, String pluginId, String version) {
        super(requireNonNull(reason, "reason is null"), null, false, false);
        this.fix = requireNonNull(fix, "fix is null");
        this.pluginId = pluginId;
        this.version = version;
    }

    /** This problem, about the plugin with this id and version (either may be {@code null}). */
    PluginProblem about(String id, String pluginVersion) {
        return new PluginProblem(reason(), fix, id, pluginVersion);
    }

    String reason() {
        return getMessage();
    }

    String fix() {
        return fix;
    }

    String pluginId() {
        return pluginId;
    }

    String version() {
        return version;
    }
}
