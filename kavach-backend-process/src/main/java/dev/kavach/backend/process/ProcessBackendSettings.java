package dev.kavach.backend.process;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The settings under {@code kavach.backends.process}, read and validated once.
 *
 * @param launcher      how namespaces are made
 * @param bwrap         the bubblewrap binary (a bare name is looked up on PATH)
 * @param unshare       the util-linux unshare binary
 * @param shell         the POSIX shell running Kavach's fixed launcher script
 * @param inheritEnv    host variables passed through to every command
 * @param defaultPath   PATH for commands whose request sets none
 * @param cgroupRoot    where cgroup file systems are mounted
 * @param cgroupParent  the cgroup below each hierarchy's root that holds per-exec groups
 * @param drainGrace    how long to wait for output pipes after the tree was killed
 * @param runAs         the host user commands run as: {@code auto}, {@code root}, {@code <uid>:<gid>} or a user name
 */
public record ProcessBackendSettings(
        Launcher launcher,
        String bwrap,
        String unshare,
        String shell,
        List<String> inheritEnv,
        String defaultPath,
        Path cgroupRoot,
        String cgroupParent,
        Duration drainGrace,
        String runAs) {

    /** Which tool creates the namespaces. */
    public enum Launcher {
        /** bubblewrap when installed, else unshare. */
        AUTO,
        BWRAP,
        UNSHARE
    }

    static final Set<String> KEYS = Set.of("launcher", "bwrap", "unshare", "shell", "inherit-env", "default-path",
            "cgroup-root", "cgroup-parent", "drain-grace", "run-as");

    public ProcessBackendSettings {
        requireNonNull(launcher, "launcher is null");
        requireNonNull(bwrap, "bwrap is null");
        requireNonNull(unshare, "unshare is null");
        requireNonNull(shell, "shell is null");
        inheritEnv = List.copyOf(requireNonNull(inheritEnv, "inheritEnv is null"));
        requireNonNull(defaultPath, "defaultPath is null");
        requireNonNull(cgroupRoot, "cgroupRoot is null");
        requireNonNull(cgroupParent, "cgroupParent is null");
        requireNonNull(drainGrace, "drainGrace is null");
        requireNonNull(runAs, "runAs is null");
    }

    /** The defaults of {@code reference.conf}, for embedders that pass no settings. */
    public static ProcessBackendSettings defaults() {
        return from(BackendSettings.empty("kavach.backends.process"));
    }

    /** Reads and validates; fails naming the key for an unknown key or a bad value. */
    public static ProcessBackendSettings from(BackendSettings settings) {
        requireNonNull(settings, "settings is null");
        for (String key : settings.keys()) {
            if (!KEYS.contains(key)) {
                throw new ConfigurationException("unknown setting " + settings.fullKey(key)
                        + originSuffix(settings, key), "remove it or use one of " + String.join(", ", KEYS.stream().sorted().toList()));
            }
        }
        String launcherText = settings.string("launcher", "auto");
        Launcher launcher;
        try {
            launcher = Launcher.valueOf(launcherText.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw settings.invalid("launcher", launcherText, "auto, bwrap or unshare");
        }
        String shell = settings.string("shell", "/bin/sh");
        if (!shell.startsWith("/")) {
            throw settings.invalid("shell", shell, "an absolute path to a POSIX shell, e.g. /bin/sh");
        }
        List<String> inheritEnv = settings.list("inherit-env");
        for (String name : inheritEnv) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw settings.invalid("inherit-env", String.valueOf(inheritEnv), "a list of environment variable names such as [LANG, TZ]");
            }
        }
        String cgroupParent = settings.string("cgroup-parent", "kavach");
        if (!cgroupParent.matches("[A-Za-z0-9_.-]+") || cgroupParent.startsWith(".")) {
            throw settings.invalid("cgroup-parent", cgroupParent, "a single directory name of letters, digits, '_', '-' or '.'");
        }
        Path cgroupRoot = settings.path("cgroup-root").orElse(Path.of("/sys/fs/cgroup"));
        if (!cgroupRoot.isAbsolute()) {
            throw settings.invalid("cgroup-root", cgroupRoot.toString(), "an absolute directory, e.g. /sys/fs/cgroup");
        }
        Duration drainGrace = settings.duration("drain-grace", Duration.ofSeconds(2));
        String runAs = settings.string("run-as", "auto").trim();
        // Names and numbers only: the value reaches setpriv as numbers resolved from /etc/passwd, never as text.
        if (!runAs.matches("auto|root|[0-9]{1,9}:[0-9]{1,9}|[a-z_][a-z0-9_.-]{0,31}")) {
            throw settings.invalid("run-as", runAs, "auto, root, a numeric \"uid:gid\" such as \"65534:65534\", or a user name such as nobody");
        }
        return new ProcessBackendSettings(launcher,
                nonBlank(settings, "bwrap", "bwrap"),
                nonBlank(settings, "unshare", "unshare"),
                shell,
                inheritEnv,
                nonBlank(settings, "default-path", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                cgroupRoot,
                cgroupParent,
                drainGrace,
                runAs);
    }

    private static String nonBlank(BackendSettings settings, String key, String defaultValue) {
        String value = settings.string(key, defaultValue);
        if (value.isBlank()) {
            throw settings.invalid(key, value, "a non-empty value");
        }
        return value;
    }

    private static String originSuffix(BackendSettings settings, String key) {
        return Optional.of(settings.origin(key)).filter(o -> !o.isEmpty()).map(o -> " (set at " + o + ")").orElse("");
    }
}
