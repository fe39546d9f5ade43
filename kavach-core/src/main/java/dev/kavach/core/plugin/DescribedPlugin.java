package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
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
 * @param declared   the backends its manifest declares ({@link DeclaredBackend}); empty when it declares none
 * @param reference  its own {@code reference.conf} (from {@code mainJar}), parsed but not yet checked against
 *                   its backend ids; empty if none
 * @param warnings   problems that leave it loadable (an unparsable reference.conf)
 */
record DescribedPlugin(PluginCandidate candidate, PluginDescriptor descriptor, PluginJar mainJar, List<DeclaredBackend> declared,
                       Config reference, List<PluginProblem> warnings) {
    DescribedPlugin {
        requireNonNull(candidate, "candidate is null");
        requireNonNull(descriptor, "descriptor is null");
        requireNonNull(mainJar, "mainJar is null");
        declared = List.copyOf(declared);
        requireNonNull(reference, "reference is null");
        warnings = List.copyOf(warnings);
    }

    /** Only what the descriptor says, before the declarations and reference.conf are read. */
    DescribedPlugin(PluginCandidate candidate, PluginDescriptor descriptor, PluginJar mainJar) {
        this(candidate, descriptor, mainJar, List.of(), ConfigFactory.empty(), List.of());
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
