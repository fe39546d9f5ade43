package dev.kavach.core;

import java.nio.file.Path;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * How to load Kavach: where its configuration comes from.
 *
 * @param configFile       the user's configuration file; {@code null} to use {@code KAVACH_CONFIG} from
 *                         {@code environment}, else {@code ./kavach.conf} in {@code workingDirectory} if present.
 *                         A relative path is resolved against {@code workingDirectory}.
 * @param overrides        settings with the highest precedence, by full key, e.g. {@code "kavach.backend" -> "process"}
 * @param environment      the environment variables used for {@code KAVACH_CONFIG} and {@code ${VAR}} substitutions
 * @param workingDirectory the directory relative paths (plugins dir, config file) are resolved against
 */
public record KavachOptions(Path configFile, Map<String, String> overrides, Map<String, String> environment, Path workingDirectory) {
    public KavachOptions {
        overrides = Map.copyOf(requireNonNull(overrides, "overrides is null"));
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        workingDirectory = requireNonNull(workingDirectory, "workingDirectory is null").toAbsolutePath().normalize();
    }

    /** No config file named, no overrides, this process's environment and working directory. */
    public static KavachOptions defaults() {
        return new KavachOptions(null, Map.of(), System.getenv(), Path.of(""));
    }

    public KavachOptions withConfigFile(Path value) {
        return new KavachOptions(value, overrides, environment, workingDirectory);
    }

    public KavachOptions withOverrides(Map<String, String> value) {
        return new KavachOptions(configFile, value, environment, workingDirectory);
    }
}
