package dev.kavach.core;

import dev.kavach.api.Progress;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What {@link Kavach#create(KavachOptions)} reads: exactly these values and Kavach's built-in defaults,
 * nothing it finds around it, unless {@code implicitSources} asks for that ({@link #fromEnvironment()},
 * which the {@code kavach} command uses). A server that embeds Kavach with {@link #builtIn()} or
 * {@code builtIn().withConfigFile(...)} behaves the same in whatever directory and environment it runs.
 *
 * @param configFile       the configuration file to read (HOCON), or {@code null} for none (with
 *                         {@code implicitSources}: {@code $KAVACH_CONFIG}, else {@code ./kavach.conf} if present).
 *                         A relative path is resolved against {@code workingDirectory}
 * @param overrides        settings with the highest precedence, by full key, e.g. {@code "kavach.backend" -> "process"}
 * @param environment      the variables {@code ${VAR}} substitutions in the configuration see (the process
 *                         environment is never read unless it is passed here)
 * @param workingDirectory what relative paths (configuration file, plugins directory, state directory) are resolved against
 * @param implicitSources  also read what the {@code kavach} command reads without being told: the file named by
 *                         {@code KAVACH_CONFIG} in {@code environment} or {@code kavach.conf} in
 *                         {@code workingDirectory} (when {@code configFile} is null), the {@code kavach.*} Java
 *                         system properties, and {@code plugins/} in {@code workingDirectory} (or
 *                         {@code KAVACH_PLUGINS_DIR}) as the plugins directory when no setting names one.
 *                         Without it no plugins directory is read unless {@code kavach.plugins.dir} is set
 * @param progress         where backends report long work (guest image builds, downloads); {@link Progress#none()}
 *                         to show none
 */
public record KavachOptions(Path configFile, Map<String, String> overrides, Map<String, String> environment, Path workingDirectory,
                            boolean implicitSources, Progress progress) {
    /** The canonical constructor. */
    public KavachOptions {
        overrides = Map.copyOf(requireNonNull(overrides, "overrides is null"));
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        workingDirectory = requireNonNull(workingDirectory, "workingDirectory is null").toAbsolutePath().normalize();
        requireNonNull(progress, "progress is null (use Progress.none())");
    }

    /**
     * The given sources only (no implicit ones) and no progress.
     *
     * @deprecated use {@link #builtIn()} and the {@code with} methods, or {@link #fromEnvironment()}; this
     *             constructor changes whenever a component is added
     */
    @Deprecated(since = "0.2.0")
    public KavachOptions(Path configFile, Map<String, String> overrides, Map<String, String> environment, Path workingDirectory) {
        this(configFile, overrides, environment, workingDirectory, false, Progress.none());
    }

    /**
     * Kavach's built-in defaults alone: no configuration file, no overrides, an empty environment, no
     * plugins directory; relative paths resolve against this process's working directory. What
     * {@link Kavach#create()} uses.
     */
    public static KavachOptions builtIn() {
        return new KavachOptions(null, Map.of(), Map.of(), Path.of(""), false, Progress.none());
    }

    /**
     * What the {@code kavach} command reads: this process's environment and working directory, with the
     * implicit sources ({@code $KAVACH_CONFIG} or {@code ./kavach.conf}, {@code -Dkavach.*} system
     * properties, {@code ./plugins}). An explicit choice: a server usually wants {@link #builtIn()} and a
     * configuration file of its own.
     */
    public static KavachOptions fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(""));
    }

    /** {@link #fromEnvironment()} for the given environment and working directory (a launcher's, or a test's). */
    public static KavachOptions fromEnvironment(Map<String, String> environment, Path workingDirectory) {
        return new KavachOptions(null, Map.of(), environment, workingDirectory, true, Progress.none());
    }

    /**
     * The environment and working directory of this process, with the implicit sources.
     *
     * @deprecated the name hid that it reads the environment: use {@link #fromEnvironment()} (the same), or
     *             {@link #builtIn()} for the built-in defaults alone
     */
    @Deprecated(since = "0.2.0")
    public static KavachOptions defaults() {
        return fromEnvironment();
    }

    /** These options reading {@code value} as the configuration file. */
    public KavachOptions withConfigFile(Path value) {
        return new KavachOptions(requireNonNull(value, "value is null"), overrides, environment, workingDirectory, implicitSources, progress);
    }

    /** These options with {@code value} as every override (replacing earlier ones). */
    public KavachOptions withOverrides(Map<String, String> value) {
        return new KavachOptions(configFile, value, environment, workingDirectory, implicitSources, progress);
    }

    /** These options with one more override, e.g. {@code withOverride("kavach.policy.memory", "256M")}. */
    public KavachOptions withOverride(String key, String value) {
        Map<String, String> merged = new LinkedHashMap<>(overrides);
        merged.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
        return withOverrides(merged);
    }

    /** These options with {@code value} as the variables {@code ${VAR}} substitutions see. */
    public KavachOptions withEnvironment(Map<String, String> value) {
        return new KavachOptions(configFile, overrides, value, workingDirectory, implicitSources, progress);
    }

    /** These options resolving relative paths against {@code value}. */
    public KavachOptions withWorkingDirectory(Path value) {
        return new KavachOptions(configFile, overrides, environment, value, implicitSources, progress);
    }

    /** These options reporting long work to {@code value}. */
    public KavachOptions withProgress(Progress value) {
        return new KavachOptions(configFile, overrides, environment, workingDirectory, implicitSources, value);
    }
}
