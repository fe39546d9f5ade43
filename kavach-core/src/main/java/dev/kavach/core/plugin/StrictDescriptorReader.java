package dev.kavach.core.plugin;

import org.pf4j.DefaultVersionManager;
import org.pf4j.ManifestPluginDescriptorFinder;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;
import org.pf4j.VersionManager;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

import static java.util.Objects.requireNonNull;

/**
 * Reads a PF4J manifest descriptor ({@code Plugin-Id}, {@code Plugin-Version}, {@code Plugin-Requires},
 * {@code Plugin-Dependencies}, ...) with PF4J's own parser and version semantics, and is stricter than
 * PF4J: an unknown {@code Plugin-*} key, a missing id or version, or an unparsable version expression is an
 * error naming the plugin, so that a typo never silently disables a constraint.
 */
final class StrictDescriptorReader extends ManifestPluginDescriptorFinder {
    static final Set<String> KNOWN_KEYS = Set.of(PLUGIN_ID, PLUGIN_DESCRIPTION, PLUGIN_CLASS, PLUGIN_VERSION, PLUGIN_PROVIDER,
            PLUGIN_DEPENDENCIES, PLUGIN_REQUIRES, PLUGIN_LICENSE);

    private final VersionManager versions = new DefaultVersionManager();

    VersionManager versions() {
        return versions;
    }

    /** Whether the manifest declares a plugin at all. */
    static boolean declaresPlugin(Manifest manifest) {
        return manifest != null && manifest.getMainAttributes().getValue(PLUGIN_ID) != null;
    }

    /** The validated descriptor of the plugin at {@code file}. */
    PluginDescriptor read(Manifest manifest, Path file) throws PluginProblem {
        requireNonNull(manifest, "manifest is null");
        String name = file.getFileName().toString();
        Attributes main = manifest.getMainAttributes();
        String id = trimmed(main.getValue(PLUGIN_ID));
        if (id == null) {
            throw new PluginProblem(name + " has no Plugin-Id in its manifest",
                    "add 'Plugin-Id: <id>' and 'Plugin-Version: <x.y.z>' to META-INF/MANIFEST.MF of the plugin JAR");
        }
        Set<String> unknown = new TreeSet<>();
        for (Object key : main.keySet()) {
            String keyName = key.toString();
            if (keyName.toLowerCase(Locale.ROOT).startsWith("plugin-") && !KNOWN_KEYS.contains(keyName)) {
                unknown.add(keyName);
            }
        }
        if (!unknown.isEmpty()) {
            throw new PluginProblem("plugin '" + id + "' has unknown descriptor key(s) " + String.join(", ", unknown)
                    + "; known keys: " + String.join(", ", new TreeSet<>(KNOWN_KEYS)),
                    "correct or remove " + String.join(", ", unknown) + " in the manifest of " + name);
        }
        PluginDescriptor descriptor;
        try {
            descriptor = createPluginDescriptor(manifest);
        } catch (RuntimeException e) {
            throw new PluginProblem("plugin '" + id + "' has an invalid descriptor: " + e.getMessage(),
                    "correct the Plugin-* entries in the manifest of " + name);
        }
        String version = trimmed(descriptor.getVersion());
        if (version == null) {
            throw new PluginProblem("plugin '" + id + "' has no Plugin-Version", "add 'Plugin-Version: <x.y.z>' to the manifest of " + name);
        }
        requireValid(() -> versions.compareVersions(version, version), id, "Plugin-Version", version,
                "a semantic version such as 1.2.0", name);
        String requires = descriptor.getRequires();
        requireValid(() -> versions.checkVersionConstraint("0.0.0", requires), id, "Plugin-Requires", requires,
                "a version expression such as >=0.1.0 & <1.0.0, or *", name);
        for (PluginDependency dependency : descriptor.getDependencies()) {
            String support = dependency.getPluginVersionSupport();
            requireValid(() -> versions.checkVersionConstraint("0.0.0", support), id, "Plugin-Dependencies",
                    dependency.getPluginId() + "@" + support, "entries such as other-plugin@>=1.0.0 or optional-plugin?", name);
        }
        return descriptor;
    }

    /** Whether {@code descriptor}'s Plugin-Requires admits {@code kavachVersion}. */
    boolean admits(PluginDescriptor descriptor, String kavachVersion) {
        return versions.checkVersionConstraint(kavachVersion, descriptor.getRequires());
    }

    List<PluginDependency> dependencies(PluginDescriptor descriptor) {
        return descriptor.getDependencies();
    }

    private static void requireValid(Runnable check, String id, String key, String value, String accepted, String file) throws PluginProblem {
        try {
            check.run();
        } catch (RuntimeException e) {
            throw new PluginProblem("plugin '" + id + "' has an invalid " + key + " '" + value + "': " + e.getMessage(),
                    "set " + key + " in the manifest of " + file + " to " + accepted);
        }
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
