package dev.kavach.core;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * One problem with a plugin.
 *
 * @param file     the JAR or folder concerned
 * @param pluginId the plugin's id; {@code null} when it could not be read
 * @param reason   what is wrong
 * @param fix      what to do about it
 */
public record PluginDiagnostic(Path file, String pluginId, String reason, String fix) {
    public PluginDiagnostic {
        requireNonNull(file, "file is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(fix, "fix is null");
    }

    /** One line for a terminal: file, plugin, reason and fix. */
    public String describe() {
        return BackendOrigin.displayPath(file) + (pluginId == null ? "" : " [" + pluginId + "]") + ": " + reason + " (fix: " + fix + ")";
    }
}
