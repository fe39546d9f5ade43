package dev.kavach.api;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * What the host hands a backend when probing or creating it.
 *
 * @param backendId     the id the backend is selected by
 * @param settings      the values under {@code kavach.backends.<id>}, already merged from the backend's
 *                      {@code reference.conf}, the user's file, system properties and overrides
 * @param stateDir      a directory the backend may use for caches (images, certificates); created on demand
 * @param kavachVersion the version of the running Kavach, e.g. {@code "0.1.0"}
 * @param progress      where to report long work (image builds, downloads); {@link Progress#none()} when
 *                      nobody watches
 * @since 0.2.0 ({@code progress})
 */
public record BackendContext(String backendId, BackendSettings settings, Path stateDir, String kavachVersion, Progress progress) {
    /** The canonical constructor. */
    public BackendContext {
        requireNonNull(backendId, "backendId is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(stateDir, "stateDir is null");
        requireNonNull(kavachVersion, "kavachVersion is null");
        requireNonNull(progress, "progress is null (use Progress.none())");
    }

    /** The canonical constructor of 0.1.0: a context whose progress is {@link Progress#none()} (tests, tools). */
    public BackendContext(String backendId, BackendSettings settings, Path stateDir, String kavachVersion) {
        this(backendId, settings, stateDir, kavachVersion, Progress.none());
    }
}
