package dev.kavach.core.plugin;

import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.ServiceProviders.Instantiation;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What the layer factory made of one plugin: where its classes live and the providers it instantiated.
 *
 * @param layer      its module layer; {@code null} when it was loaded on a class loader
 * @param loader     the class loader of its classes
 * @param backends   its {@link BackendProvider}s, each made or failed
 * @param extensions its {@link CommandExtension}s, each made or failed
 */
record PluginClasses(ModuleLayer layer, ClassLoader loader, List<Instantiation<BackendProvider>> backends,
                     List<Instantiation<CommandExtension>> extensions) {
    PluginClasses {
        requireNonNull(loader, "loader is null");
        backends = List.copyOf(backends);
        extensions = List.copyOf(extensions);
    }
}
