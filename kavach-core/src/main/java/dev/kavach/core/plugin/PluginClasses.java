package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What the layer factory made of one plugin: where its classes live, the providers it instantiated, its
 * own {@code reference.conf}, and the problems that did not stop it (an unreadable reference.conf).
 *
 * @param layer      its module layer; {@code null} when it was loaded on a class loader
 * @param loader     the class loader of its classes
 * @param backends   its {@link BackendProvider}s, each made or failed
 * @param extensions its {@link CommandExtension}s, each made or failed
 * @param reference  its {@code reference.conf}, parsed but not yet checked against its backend ids; empty if none
 * @param warnings   problems that leave the plugin loaded
 */
record PluginClasses(ModuleLayer layer, ClassLoader loader, List<Instantiation<BackendProvider>> backends,
                     List<Instantiation<CommandExtension>> extensions, Config reference, List<PluginProblem> warnings) {
    PluginClasses {
        requireNonNull(loader, "loader is null");
        backends = List.copyOf(backends);
        extensions = List.copyOf(extensions);
        requireNonNull(reference, "reference is null");
        warnings = List.copyOf(warnings);
    }
}
