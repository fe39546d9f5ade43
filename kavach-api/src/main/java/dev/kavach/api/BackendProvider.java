package dev.kavach.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The entry point of a backend, found by {@link java.util.ServiceLoader}: declare it with
 * {@code provides dev.kavach.api.BackendProvider with ...} in {@code module-info.java} and in
 * {@code META-INF/services/dev.kavach.api.BackendProvider}. Needs a public no-argument constructor that
 * does no work: probing and creating happen in the methods below, where failures are reported per backend.
 *
 * <p>New methods are only ever added with default implementations.
 */
public interface BackendProvider {
    /** Describes the backend; must be cheap and must not touch the host. */
    BackendInfo info();

    /** Shorthand for {@code info().id()}. */
    default String id() {
        return info().id();
    }

    /**
     * Checks whether this host can run the backend with the given settings. Reports every check, passed
     * or failed, each failure with its fix. Must not throw for a missing prerequisite: that is a failed
     * check. Should finish in well under a second.
     */
    Availability probe(BackendContext context);

    /**
     * Creates a sandbox backend instance. The host calls this only after {@link #probe} reported the
     * backend available, and calls {@link SandboxBackend#start()} before the first exec.
     *
     * @throws BackendUnavailableException if the host changed since the probe
     * @throws ConfigurationException      if a setting is invalid
     */
    SandboxBackend create(BackendContext context);

    /**
     * The host command line a sandbox of this backend would run for {@code request}, for dry runs
     * ({@code kavach run --dry-run}). A dry run starts nothing, so backends should answer it even where
     * the host lacks what running needs (no KVM, no {@code /dev/sev}), failing only for what the command
     * line itself needs (e.g. a configured kernel path). The default creates a sandbox, asks it and closes
     * it, which works only where the backend is available.
     *
     * @return empty when the backend runs nothing on the host
     */
    default Optional<List<String>> commandLine(BackendContext context, ExecRequest request) {
        try (SandboxBackend backend = create(context)) {
            return backend.commandLine(request);
        }
    }

    /**
     * Facts a dry run shows beside the command line, for the same {@code request}: {@code kavach run
     * --dry-run} prints each as a {@code key: value} line after the command line and {@code --json} adds them
     * as fields. The {@code sev} backend gives the launch measurement the guest must report
     * ({@code measurement}). Like {@link #commandLine}, this starts nothing.
     *
     * @return keys in a stable order; empty by default
     */
    default Map<String, String> dryRunDetails(BackendContext context, ExecRequest request) {
        return Map.of();
    }
}
