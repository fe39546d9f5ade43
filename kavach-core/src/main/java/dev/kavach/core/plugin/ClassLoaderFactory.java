package dev.kavach.core.plugin;

import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.ServiceProviders;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static java.util.Objects.requireNonNull;

/**
 * For a host on the class path: {@code dev.kavach.api} is then in the unnamed module, which a plugin module
 * could not read, so the plugin's JARs (its own and the libraries beside it) go on a class loader whose
 * parent is the host's. Any module-info is ignored here; providers must be listed in META-INF/services.
 * Plugin-Dependencies are checked but do not share classes in this mode (a class loader has one parent).
 */
final class ClassLoaderFactory implements PluginLayerFactory {
    private final ClassLoader hostLoader;
    private final List<URLClassLoader> opened = new ArrayList<>();

    ClassLoaderFactory(ClassLoader hostLoader) {
        this.hostLoader = requireNonNull(hostLoader, "hostLoader is null");
    }

    @Override
    public PluginClasses define(DescribedPlugin plugin, List<PluginClasses> dependencies) throws PluginProblem {
        List<URL> urls = new ArrayList<>();
        for (Path jar : plugin.candidate().jars()) {
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw plugin.problem("cannot turn " + jar + " into a URL: " + e.getMessage(), "rename the file to a plain name");
            }
        }
        URLClassLoader loader = new URLClassLoader("kavach-plugin-" + plugin.pluginId(), urls.toArray(URL[]::new), hostLoader);
        synchronized (opened) {
            opened.add(loader);
        }
        return new PluginClasses(null, loader,
                ServiceProviders.instantiate(ServiceLoader.load(BackendProvider.class, loader), type -> type.getClassLoader() == loader),
                ServiceProviders.instantiate(ServiceLoader.load(CommandExtension.class, loader), type -> type.getClassLoader() == loader));
    }

    @Override
    public void close() {
        synchronized (opened) {
            for (URLClassLoader loader : opened) {
                try {
                    loader.close();
                } catch (IOException e) {
                    // nothing to do: the JAR stays open until the JVM exits
                }
            }
            opened.clear();
        }
    }
}
