package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.ServiceProviders;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLConnection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
        List<PluginProblem> warnings = new ArrayList<>();
        return new PluginClasses(null, loader,
                ServiceProviders.instantiate(ServiceLoader.load(BackendProvider.class, loader), type -> type.getClassLoader() == loader),
                ServiceProviders.instantiate(ServiceLoader.load(CommandExtension.class, loader), type -> type.getClassLoader() == loader),
                reference(plugin, loader, warnings), warnings);
    }

    /** The reference.conf of the plugin's own JAR, never one of a library beside it or of the host. */
    private static Config reference(DescribedPlugin plugin, URLClassLoader loader, List<PluginProblem> warnings) {
        String mainJarUrl;
        try {
            mainJarUrl = "jar:" + plugin.mainJar().file().toUri().toURL() + "!/reference.conf";
        } catch (MalformedURLException e) {
            return ConfigFactory.empty();
        }
        try {
            for (URL url : Collections.list(loader.findResources("reference.conf"))) {
                if (url.toString().equals(mainJarUrl)) {
                    URLConnection connection = url.openConnection();
                    connection.setUseCaches(false); // a cached JarFile would keep the plugin file open
                    try (InputStream in = connection.getInputStream()) {
                        return PluginLayerFactory.parseReference(plugin, in, warnings);
                    }
                }
            }
        } catch (IOException e) {
            warnings.add(PluginLayerFactory.unreadableReference(plugin, e));
        }
        return ConfigFactory.empty();
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
