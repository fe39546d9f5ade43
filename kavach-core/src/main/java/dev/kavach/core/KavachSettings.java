package dev.kavach.core;

import dev.kavach.api.SandboxPolicy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The validated {@code kavach.*} configuration, read once when Kavach loads.
 *
 * @param backend    {@code "auto"} or a backend id ({@code kavach.backend})
 * @param fallback   backend ids tried in order when {@code backend} is unavailable ({@code kavach.fallback})
 * @param pluginsDir where plugin JARs and folders are found ({@code kavach.plugins.dir}), absolute; empty when no
 *                   plugins directory is read (the default of {@link Kavach#create})
 * @param policy     the preset with its overrides and {@code kavach.timeout} applied
 * @param stateDir   where backends keep caches ({@code kavach.state-dir}), absolute
 */
public record KavachSettings(String backend, List<String> fallback, Optional<Path> pluginsDir, SandboxPolicy policy, Path stateDir) {
    /** The value of {@code kavach.backend} that ranks available backends by strength. */
    public static final String AUTO = "auto";

    public KavachSettings {
        requireNonNull(backend, "backend is null");
        fallback = List.copyOf(requireNonNull(fallback, "fallback is null"));
        requireNonNull(pluginsDir, "pluginsDir is null");
        requireNonNull(policy, "policy is null");
        requireNonNull(stateDir, "stateDir is null");
    }
}
