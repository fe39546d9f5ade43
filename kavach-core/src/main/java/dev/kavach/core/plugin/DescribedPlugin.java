package dev.kavach.core.plugin;

import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;

import java.nio.file.Path;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A plugin whose descriptor was read and validated, before any of its classes is loaded: what dependency
 * ordering and the layer factory work from. Immutable (PF4J's descriptor is only read).
 *
 * @param candidate  its JAR or folder
 * @param descriptor its validated PF4J descriptor
 * @param mainJar    the JAR that carries the descriptor
 */
record DescribedPlugin(PluginCandidate candidate, PluginDescriptor descriptor, PluginJar mainJar) {
    DescribedPlugin {
        requireNonNull(candidate, "candidate is null");
        requireNonNull(descriptor, "descriptor is null");
        requireNonNull(mainJar, "mainJar is null");
    }

    String pluginId() {
        return descriptor.getPluginId();
    }

    String version() {
        return descriptor.getVersion();
    }

    Path path() {
        return candidate.path();
    }

    List<PluginDependency> dependencies() {
        return descriptor.getDependencies();
    }

    /** A problem found after the descriptor was read, naming this plugin. */
    PluginProblem problem(String reason, String fix) {
        return new PluginProblem(reason, fix).about(pluginId(), version());
    }
}
