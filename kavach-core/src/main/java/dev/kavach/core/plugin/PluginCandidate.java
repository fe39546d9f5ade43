package dev.kavach.core.plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One entry of the plugins directory: a JAR, or a folder of JARs (the plugin and its own dependencies).
 *
 * @param path the JAR or folder
 * @param jars the JARs it consists of, sorted
 */
record PluginCandidate(Path path, List<Path> jars) {
    PluginCandidate {
        requireNonNull(path, "path is null");
        jars = List.copyOf(requireNonNull(jars, "jars is null"));
    }

    boolean isFolder() {
        return Files.isDirectory(path);
    }
}
