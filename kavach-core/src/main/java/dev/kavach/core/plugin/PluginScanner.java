package dev.kavach.core.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The first phase of loading: what in the plugins directory could be a plugin. Reads nothing inside the
 * JARs (that is {@link PluginDescriber}'s job), so a corrupt file is still a candidate with a diagnostic.
 */
final class PluginScanner {
    private PluginScanner() {
    }

    /** Every JAR and folder in {@code dir}, sorted by name; other files and hidden entries are not plugins. */
    static List<PluginCandidate> scan(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<PluginCandidate> candidates = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (Files.isDirectory(entry)) {
                    candidates.add(new PluginCandidate(entry, jarsIn(entry)));
                } else if (name.endsWith(".jar") && Files.isRegularFile(entry)) {
                    candidates.add(new PluginCandidate(entry, List.of(entry)));
                }
            }
        }
        return candidates;
    }

    private static List<Path> jarsIn(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
        }
    }
}
