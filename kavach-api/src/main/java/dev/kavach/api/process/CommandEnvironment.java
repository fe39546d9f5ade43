package dev.kavach.api.process;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The environment rule of {@link dev.kavach.api.SandboxPolicy}: a command sees exactly the request's
 * variables, plus {@code PATH} and {@code PWD} where the request sets neither. Nothing of the host's
 * environment is inherited.
 */
public final class CommandEnvironment {
    /** The {@code PATH} a command gets when its request sets none. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private CommandEnvironment() {
    }

    /** {@code requested}, plus {@code PATH=}{@link #DEFAULT_PATH} and {@code PWD=workdir} where absent. */
    public static Map<String, String> of(Map<String, String> requested, Path workdir) {
        return of(requested, workdir, DEFAULT_PATH);
    }

    /** {@code requested}, plus {@code PATH=defaultPath} and {@code PWD=workdir} where absent. */
    public static Map<String, String> of(Map<String, String> requested, Path workdir, String defaultPath) {
        requireNonNull(workdir, "workdir is null");
        requireNonNull(defaultPath, "defaultPath is null");
        Map<String, String> env = new TreeMap<>(requireNonNull(requested, "requested is null"));
        env.putIfAbsent("PATH", defaultPath);
        env.putIfAbsent("PWD", workdir.toString());
        return Map.copyOf(env);
    }
}
