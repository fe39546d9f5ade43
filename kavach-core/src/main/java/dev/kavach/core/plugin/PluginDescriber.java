package dev.kavach.core.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.pf4j.PluginDescriptor;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The second phase of loading: reads a candidate's JARs and its PF4J descriptor, and refuses what can be
 * refused before any class is loaded (no descriptor, two descriptors, a bundled kavach-api, a
 * {@code Plugin-Requires} this Kavach does not meet).
 */
final class PluginDescriber {
    private final StrictDescriptorReader descriptors;
    private final String kavachVersion;
    private final PluginJars jarReader;

    PluginDescriber(StrictDescriptorReader descriptors, String kavachVersion, PluginJars jarReader) {
        this.descriptors = requireNonNull(descriptors, "descriptors is null");
        this.kavachVersion = requireNonNull(kavachVersion, "kavachVersion is null");
        this.jarReader = requireNonNull(jarReader, "jarReader is null");
    }

    DescribedPlugin describe(PluginCandidate candidate) throws PluginProblem {
        String name = candidate.path().getFileName().toString();
        if (candidate.jars().isEmpty()) {
            throw new PluginProblem("plugin folder " + name + "/ contains no JAR",
                    "put the plugin JAR and the JARs it depends on directly in " + candidate.path() + ", or remove the folder");
        }
        List<PluginJar> jars = jarReader.read(candidate.jars());
        List<PluginJar> described = jars.stream().filter(jar -> StrictDescriptorReader.declaresPlugin(jar.manifest())).toList();
        if (described.isEmpty()) {
            throw new PluginProblem((candidate.isFolder() ? "no JAR in " + name + "/ has a" : name + " has no")
                    + " plugin descriptor (Plugin-Id in META-INF/MANIFEST.MF)",
                    "add the PF4J manifest entries Plugin-Id and Plugin-Version to the plugin JAR"
                            + (candidate.isFolder() ? "" : ", or remove it from the plugins directory if it is not a Kavach plugin"));
        }
        if (described.size() > 1) {
            throw new PluginProblem("several JARs in " + name + "/ declare a plugin: "
                    + described.stream().map(jar -> jar.file().getFileName().toString()).collect(Collectors.joining(", ")),
                    "a plugin folder holds one plugin JAR and its dependency JARs; give each plugin its own folder");
        }
        PluginJar main = described.get(0);
        String declaredId = main.manifest().getMainAttributes().getValue(StrictDescriptorReader.PLUGIN_ID);
        PluginDescriptor descriptor;
        try {
            descriptor = descriptors.read(main.manifest(), main.file());
        } catch (PluginProblem problem) {
            throw problem.about(declaredId == null || declaredId.isBlank() ? null : declaredId.trim(), null);
        }
        DescribedPlugin plugin = new DescribedPlugin(candidate, descriptor, main);
        List<String> bundling = jars.stream().filter(PluginJar::bundlesApi).map(jar -> jar.file().getFileName().toString()).toList();
        if (!bundling.isEmpty()) {
            throw plugin.problem("plugin '" + plugin.pluginId() + "' bundles its own copy of dev.kavach.api (in "
                    + String.join(", ", bundling) + "); a plugin must use the host's API so that its backend is the host's BackendProvider",
                    "build the plugin with kavach-api as a provided (not bundled) dependency and remove dev/kavach/api/ from its JARs");
        }
        if (!descriptors.admits(descriptor, kavachVersion)) {
            throw plugin.problem("plugin '" + plugin.pluginId() + "' " + plugin.version() + " requires Kavach "
                    + descriptor.getRequires() + " (Plugin-Requires), but this is Kavach " + kavachVersion,
                    "install a version of the plugin built for Kavach " + kavachVersion + ", or run a Kavach version matching "
                            + descriptor.getRequires());
        }
        // Its reference.conf and declared backends, read here: a deferred plugin needs both before any class loads.
        List<PluginProblem> warnings = new ArrayList<>();
        Config reference = main.reference() == null ? ConfigFactory.empty()
                : PluginLayerFactory.parseReference(plugin, new ByteArrayInputStream(main.reference()), warnings);
        String declared = main.manifest().getMainAttributes().getValue(DeclaredBackend.MANIFEST_KEY);
        List<DeclaredBackend> backends = List.of();
        if (declared != null) {
            try {
                backends = DeclaredBackend.parse(declared, plugin);
            } catch (PluginProblem e) {
                // A declaration this Kavach cannot read (a typo, or an attribute of a later Kavach) costs the deferral only:
                // the plugin loads on every start, as without one, and says why.
                warnings.add(e);
            }
        }
        return new DescribedPlugin(candidate, descriptor, main, backends, reference, warnings);
    }
}
