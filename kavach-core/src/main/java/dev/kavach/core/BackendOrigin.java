package dev.kavach.core;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * Where a backend or command extension came from: the host's module path/classpath, or a plugin.
 *
 * @param kind     built-in or plugin
 * @param file     the plugin JAR or folder; {@code null} for built-ins
 * @param pluginId the plugin's {@code Plugin-Id}; {@code null} for built-ins
 */
public record BackendOrigin(Kind kind, Path file, String pluginId) {
    public enum Kind { BUILT_IN, PLUGIN }

    public static final BackendOrigin BUILT_IN = new BackendOrigin(Kind.BUILT_IN, null, null);

    public BackendOrigin {
        requireNonNull(kind, "kind is null");
        if (kind == Kind.PLUGIN) {
            requireNonNull(file, "file is null");
            requireNonNull(pluginId, "pluginId is null");
        }
    }

    public static BackendOrigin plugin(Path file, String pluginId) {
        return new BackendOrigin(Kind.PLUGIN, file, pluginId);
    }

    /** {@code "built-in"} or {@code "plugin kavach-backend-sev (plugins/kavach-backend-sev.jar)"}. */
    public String describe() {
        return kind == Kind.BUILT_IN ? "built-in" : "plugin " + pluginId + " (" + displayPath(file) + ")";
    }

    /** The plugin path as the user knows it: the last two elements, e.g. {@code plugins/x.jar}. */
    static String displayPath(Path file) {
        Path name = file.getFileName();
        Path parent = file.getParent();
        if (name == null) {
            return file.toString();
        }
        return parent != null && parent.getFileName() != null ? parent.getFileName() + "/" + name : name.toString();
    }
}
