package dev.kavach.core;

import java.nio.file.Path;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What became of one JAR or folder in the plugins directory.
 *
 * @param path        the JAR file or plugin folder
 * @param pluginId    its {@code Plugin-Id}; {@code null} when the descriptor could not be read
 * @param version     its {@code Plugin-Version}; {@code null} when the descriptor could not be read
 * @param state       loaded (possibly with warnings) or failed
 * @param backendIds  the backends it contributed
 * @param diagnostics every problem found, each with its fix
 */
public record PluginReport(Path path, String pluginId, String version, PluginState state, List<String> backendIds,
                           List<PluginDiagnostic> diagnostics) {
    public PluginReport {
        requireNonNull(path, "path is null");
        requireNonNull(state, "state is null");
        backendIds = List.copyOf(requireNonNull(backendIds, "backendIds is null"));
        diagnostics = List.copyOf(requireNonNull(diagnostics, "diagnostics is null"));
    }
}
