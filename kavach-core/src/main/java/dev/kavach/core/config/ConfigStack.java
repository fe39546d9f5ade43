package dev.kavach.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import dev.kavach.api.ConfigurationException;
import dev.kavach.core.KavachOptions;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static java.util.Objects.requireNonNull;

/**
 * The configuration sources in precedence order, highest first: command-line overrides, system properties
 * ({@code kavach.*} only), the user's file, the defaults of the implicit sources (the plugins directory),
 * plugin {@code reference.conf} files, the host's {@code reference.conf} files (core and built-in backends).
 * System properties, a file nobody named and the implicit defaults are read only when
 * {@link KavachOptions#implicitSources()} asks for them.
 */
public final class ConfigStack {
    /** The environment variable naming the user's config file when none is given explicitly. */
    public static final String CONFIG_ENV = "KAVACH_CONFIG";
    /** The file looked for in the working directory when neither a file nor {@link #CONFIG_ENV} is given. */
    public static final String DEFAULT_FILE = "kavach.conf";

    private final Config overrides;
    private final Config systemProperties;
    private final Config userFile;
    private final Path userFilePath;
    private final Config implicitDefaults;
    private final Config hostReference;
    private final Config substitutionSource;

    private ConfigStack(Config overrides, Config systemProperties, Config userFile, Path userFilePath, Config implicitDefaults,
                        Config hostReference, Config substitutionSource) {
        this.overrides = overrides;
        this.systemProperties = systemProperties;
        this.userFile = userFile;
        this.userFilePath = userFilePath;
        this.implicitDefaults = implicitDefaults;
        this.hostReference = hostReference;
        this.substitutionSource = substitutionSource;
    }

    /** Parses every source except plugin references, which are known only after plugins are loaded. */
    public static ConfigStack read(KavachOptions options, ClassLoader hostLoader) {
        requireNonNull(options, "options is null");
        Path userFilePath = userFile(options).orElse(null);
        return new ConfigStack(
                ConfigFactory.parseMap(options.overrides(), "command-line override"),
                options.implicitSources() ? kavachSystemProperties() : ConfigFactory.empty(),
                userFilePath == null ? ConfigFactory.empty() : parseUserFile(userFilePath),
                userFilePath,
                options.implicitSources() ? IMPLICIT_DEFAULTS : ConfigFactory.empty(),
                parseHostReference(hostLoader),
                substitutionSource(options.environment()));
    }

    /**
     * The plugins directory the {@code kavach} command reads when no setting names one: {@code plugins/} in
     * the working directory, or {@code $KAVACH_PLUGINS_DIR}, which the launcher points at its install's.
     */
    private static final Config IMPLICIT_DEFAULTS = ConfigFactory.parseString("""
            kavach.plugins.dir = plugins
            kavach.plugins.dir = ${?KAVACH_PLUGINS_DIR}
            """, ConfigParseOptions.defaults().setOriginDescription("the kavach command's default (KavachOptions.fromEnvironment)"));

    /**
     * The user's file that applies, if any: explicit, else (with the implicit sources only) {@code KAVACH_CONFIG},
     * else {@code ./kavach.conf} if present.
     */
    static Optional<Path> userFile(KavachOptions options) {
        if (options.configFile() != null) {
            return Optional.of(options.workingDirectory().resolve(options.configFile()));
        }
        if (!options.implicitSources()) {
            return Optional.empty();
        }
        String fromEnv = options.environment().get(CONFIG_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(options.workingDirectory().resolve(fromEnv));
        }
        Path inWorkingDir = options.workingDirectory().resolve(DEFAULT_FILE);
        return Files.isRegularFile(inWorkingDir) ? Optional.of(inWorkingDir) : Optional.empty();
    }

    public Optional<Path> userFilePath() {
        return Optional.ofNullable(userFilePath);
    }

    /** Merges every source with the given plugin references (first wins) and resolves substitutions. */
    public Config resolve(List<Config> pluginReferences) {
        Config merged = overrides.withFallback(systemProperties).withFallback(userFile).withFallback(implicitDefaults);
        for (Config reference : pluginReferences) {
            merged = merged.withFallback(reference);
        }
        merged = merged.withFallback(hostReference);
        try {
            // ${user.home} and ${HOME} resolve against system properties and the given environment, never
            // against the real process environment, so that KavachOptions.environment is the whole truth.
            // They are merged in below everything and cut off again after resolving.
            Config resolved = merged.withFallback(substitutionSource).resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
            return resolved.hasPathOrNull("kavach") ? resolved.withOnlyPath("kavach") : ConfigFactory.empty();
        } catch (ConfigException e) {
            String message = String.valueOf(e.getMessage());
            throw new ConfigurationException("cannot resolve the configuration: " + (message.length() > 400 ? message.substring(0, 400) + "..." : message),
                    "define the referenced setting or environment variable, or remove the ${...} reference", e);
        }
    }

    /**
     * The defaults alone, unresolved: the given plugin references over the host's. What backends declare
     * (every key their reference.conf defines) is read from here, never from the user's sources.
     */
    public Config references(List<Config> pluginReferences) {
        Config merged = ConfigFactory.empty();
        for (Config reference : pluginReferences) {
            merged = merged.withFallback(reference);
        }
        return merged.withFallback(hostReference);
    }

    private static Config kavachSystemProperties() {
        Properties all = (Properties) System.getProperties().clone();
        Properties kavach = new Properties();
        for (String name : all.stringPropertyNames()) {
            if (name.equals("kavach") || name.startsWith("kavach.")) {
                kavach.setProperty(name, all.getProperty(name));
            }
        }
        return ConfigFactory.parseProperties(kavach, ConfigParseOptions.defaults().setOriginDescription("system property"));
    }

    private static Config parseUserFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigurationException("configuration file " + file + " does not exist or is not a regular file",
                    "create it, or point --config / " + CONFIG_ENV + " at an existing file");
        }
        try {
            return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new ConfigurationException("cannot parse configuration file " + file + ": " + e.getMessage(),
                    "fix the HOCON syntax at the line named above", e);
        }
    }

    /**
     * Every {@code reference.conf} the host's loader sees (core and built-in backends), first found wins as
     * with Typesafe's own loading, each with a short origin such as {@code reference.conf in kavach-core-0.1.0.jar}.
     */
    private static Config parseHostReference(ClassLoader hostLoader) {
        Config merged = ConfigFactory.empty();
        URL current = null;
        try {
            for (URL url : Collections.list(hostLoader.getResources("reference.conf"))) {
                current = url;
                merged = merged.withFallback(ConfigFactory.parseURL(url,
                        ConfigParseOptions.defaults().setAllowMissing(false).setOriginDescription("reference.conf in " + containerName(url))));
            }
            return merged;
        } catch (IOException | ConfigException e) {
            throw new ConfigurationException("cannot read the built-in " + (current == null ? "reference.conf" : current) + ": " + e.getMessage(),
                    "this is a packaging bug; reinstall Kavach", e);
        }
    }

    /** The JAR or directory a resource URL points into, by its last name, e.g. {@code kavach-core-0.1.0.jar}. */
    private static String containerName(URL url) {
        String text = url.toString();
        int bang = text.lastIndexOf("!/");
        String container = bang >= 0 ? text.substring(0, bang) : text.substring(0, Math.max(0, text.lastIndexOf('/')));
        if (container.endsWith("/")) {
            container = container.substring(0, container.length() - 1);
        }
        String name = container.substring(container.lastIndexOf('/') + 1);
        // target/classes of a module: name the module directory rather than "classes"
        if (name.equals("classes") && container.contains("/target/classes")) {
            String module = container.substring(0, container.lastIndexOf("/target/classes"));
            return module.substring(module.lastIndexOf('/') + 1) + "/target/classes";
        }
        return name;
    }

    /**
     * What {@code ${...}} may refer to: system properties such as {@code user.home}, then the given environment.
     * Never a {@code kavach} key: this source sits below every other, so a {@code -Dkavach.*} property (or a
     * variable named {@code kavach}) would otherwise fill in settings that nobody set, also where system
     * properties are not a source ({@link KavachOptions#implicitSources()}).
     */
    private static Config substitutionSource(Map<String, String> environment) {
        Map<String, Object> env = new HashMap<>(environment);
        env.remove("kavach");
        // Keys of fromMap are plain keys, not paths, so any variable name is safe here.
        Config environmentConfig = ConfigValueFactory.fromMap(env, "environment variable").toConfig();
        return ConfigFactory.systemProperties().withoutPath("kavach").withFallback(environmentConfig);
    }
}
