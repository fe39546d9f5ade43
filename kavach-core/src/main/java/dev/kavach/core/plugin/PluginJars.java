package dev.kavach.core.plugin;

import dev.kavach.api.process.HostProbeCache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.Manifest;

import static java.util.Objects.requireNonNull;

/**
 * Reads a plugin's JARs ({@link PluginJar#read}), remembering what describing it needs in a
 * {@link HostProbeCache} keyed by each JAR's identity (path, inode, size, times), so that a start of
 * {@code kavach} does not open every JAR of every plugin again: a plugin folder such as the kubernetes
 * backend's (31 JARs, 9,000 entries) took longer to read than the rest of {@code kavach run -- true}'s own
 * work. A changed, added or removed JAR is a different key, so it is read anew; a JAR that cannot be read is
 * never remembered. What is kept per JAR: the manifest's main attributes and {@code reference.conf} of a JAR
 * that declares a plugin (the only one they are read from), and for every JAR whether it bundles the API.
 */
final class PluginJars {
    private static final String QUESTION = "kavach-plugin-jars-1";

    private final HostProbeCache cache;

    /** @param cache where descriptions are remembered; {@code null} to read the JARs every time */
    PluginJars(HostProbeCache cache) {
        this.cache = cache;
    }

    List<PluginJar> read(List<Path> jars) throws PluginProblem {
        requireNonNull(jars, "jars is null");
        if (cache == null) {
            return readAll(jars);
        }
        PluginProblem[] refused = new PluginProblem[1];
        Optional<String> answer = cache.answer(List.of(QUESTION), jars, () -> {
            try {
                return Optional.of(encode(readAll(jars)));
            } catch (PluginProblem problem) {
                refused[0] = problem;
                return Optional.empty();
            }
        });
        if (refused[0] != null) {
            throw refused[0];
        }
        Optional<List<PluginJar>> decoded = answer.flatMap(text -> decode(jars, text));
        return decoded.isPresent() ? decoded.get() : readAll(jars);
    }

    private static List<PluginJar> readAll(List<Path> jars) throws PluginProblem {
        List<PluginJar> read = new ArrayList<>();
        for (Path jar : jars) {
            read.add(PluginJar.read(jar));
        }
        return read;
    }

    private static String encode(List<PluginJar> jars) {
        Properties properties = new Properties();
        properties.setProperty("jars", Integer.toString(jars.size()));
        for (int i = 0; i < jars.size(); i++) {
            PluginJar jar = jars.get(i);
            properties.setProperty(i + ".api", Boolean.toString(jar.bundlesApi()));
            properties.setProperty(i + ".module-info", Boolean.toString(jar.hasModuleInfo()));
            if (StrictDescriptorReader.declaresPlugin(jar.manifest())) {
                Manifest main = new Manifest();
                main.getMainAttributes().putAll(jar.manifest().getMainAttributes());
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try {
                    main.write(bytes);
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // a byte array does not fail
                }
                properties.setProperty(i + ".manifest", Base64.getEncoder().encodeToString(bytes.toByteArray()));
                if (jar.reference() != null) {
                    properties.setProperty(i + ".reference", Base64.getEncoder().encodeToString(jar.reference()));
                }
            }
        }
        StringWriter text = new StringWriter();
        try {
            properties.store(text, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** The JARs as remembered; empty when the text does not describe exactly these JARs (then they are read). */
    private static Optional<List<PluginJar>> decode(List<Path> jars, String text) {
        try {
            Properties properties = new Properties();
            properties.load(new StringReader(text));
            if (!Integer.toString(jars.size()).equals(properties.getProperty("jars"))) {
                return Optional.empty();
            }
            List<PluginJar> decoded = new ArrayList<>();
            for (int i = 0; i < jars.size(); i++) {
                String manifestText = properties.getProperty(i + ".manifest");
                Manifest manifest = null;
                if (manifestText != null) {
                    manifest = new Manifest(new ByteArrayInputStream(Base64.getDecoder().decode(manifestText)));
                    if (!StrictDescriptorReader.declaresPlugin(manifest)) {
                        return Optional.empty();
                    }
                }
                String reference = properties.getProperty(i + ".reference");
                decoded.add(new PluginJar(jars.get(i), manifest, Boolean.parseBoolean(properties.getProperty(i + ".api")),
                        Boolean.parseBoolean(properties.getProperty(i + ".module-info")),
                        reference == null ? null : Base64.getDecoder().decode(reference)));
            }
            return Optional.of(decoded);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
