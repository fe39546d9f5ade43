package dev.kavach.backend.process;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The settings under {@code kavach.backends.process}, read and validated once. Every bad value is a
 * {@link ConfigurationException} naming the key, the value and what is accepted.
 *
 * @param launcher      how namespaces are made (bubblewrap)
 * @param bwrap         the bubblewrap binary (a bare name is looked up on PATH)
 * @param shell         the POSIX shell running Kavach's fixed launcher script
 * @param inheritEnv    host variables passed through to every command
 * @param defaultPath   PATH for commands whose request sets none
 * @param cgroupRoot    where cgroup file systems are mounted
 * @param cgroupParent  the cgroup below each hierarchy's root that holds per-exec groups
 * @param drainGrace    how long to wait for output pipes after the tree was killed
 * @param runAs         the host user commands run as: {@code auto}, {@code root}, {@code <uid>:<gid>} or a user name
 * @param idRange       the host uids/gids handed out one per concurrent sandbox (root, {@code run-as = auto})
 * @param scratchSize   size cap in bytes of each private tmpfs (/tmp, /var/tmp, /dev/shm, /run/lock, scratch workdir)
 * @param forkServer    whether launches are forked by the backend's {@link ForkServer} (bash) rather than spawned from the JVM
 * @param cgroupRootSet whether {@code cgroup-root} was configured: then cgroup v2 is used at that root (or its
 *                      {@code unified}) as given; unset, Kavach finds the cgroup v2 mount and, when it is not root, the
 *                      cgroup that systemd delegated to it by itself
 */
public record ProcessBackendSettings(
        Launcher launcher,
        String bwrap,
        String shell,
        List<String> inheritEnv,
        String defaultPath,
        Path cgroupRoot,
        String cgroupParent,
        Duration drainGrace,
        String runAs,
        IdRange idRange,
        long scratchSize,
        boolean forkServer,
        boolean cgroupRootSet) {

    /** Which tool creates the namespaces. */
    public enum Launcher {
        /** bubblewrap (the only launcher; kept as a value so configurations naming it keep working). */
        AUTO,
        BWRAP
    }

    /**
     * A block of host ids, {@code first} to {@code first + count - 1}: each concurrent sandbox gets one as
     * its uid and gid.
     */
    public record IdRange(int first, int count) {
        public IdRange {
            if (first < 1 || count < 1 || (long) first + count - 1 > Integer.MAX_VALUE - 1) {
                throw new ConfigurationException("invalid kavach.backends.process.id-range: " + count + " ids from " + first
                        + ": expected at least one id, all between 1 and 2147483646", "set kavach.backends.process.id-range to e.g. \""
                        + "2000000000-2000065535\"");
            }
        }

        int last() {
            return first + count - 1;
        }

        @Override
        public String toString() {
            return first + "-" + last();
        }
    }

    static final Set<String> KEYS = Set.of("launcher", "bwrap", "shell", "inherit-env", "default-path",
            "cgroup-root", "cgroup-parent", "drain-grace", "run-as", "id-range", "scratch-size", "fork-server");
    /** The default id block: the top of systemd's "unused" range, far above any user or container id map. */
    static final IdRange DEFAULT_ID_RANGE = new IdRange(2_000_000_000, 65_536);
    static final long DEFAULT_SCRATCH_SIZE = 512L << 20;
    private static final Duration MAX_DRAIN_GRACE = Duration.ofMinutes(10);
    static final Path DEFAULT_CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    public ProcessBackendSettings {
        requireNonNull(launcher, "launcher is null");
        requireNonNull(bwrap, "bwrap is null");
        requireNonNull(shell, "shell is null");
        inheritEnv = List.copyOf(requireNonNull(inheritEnv, "inheritEnv is null"));
        requireNonNull(defaultPath, "defaultPath is null");
        requireNonNull(cgroupRoot, "cgroupRoot is null");
        requireNonNull(cgroupParent, "cgroupParent is null");
        requireNonNull(drainGrace, "drainGrace is null");
        requireNonNull(runAs, "runAs is null");
        requireNonNull(idRange, "idRange is null");
    }

    /** Settings with the fork server off (its default); a cgroup root other than /sys/fs/cgroup counts as configured. */
    public ProcessBackendSettings(Launcher launcher, String bwrap, String shell, List<String> inheritEnv, String defaultPath, Path cgroupRoot,
                                  String cgroupParent, Duration drainGrace, String runAs, IdRange idRange, long scratchSize) {
        this(launcher, bwrap, shell, inheritEnv, defaultPath, cgroupRoot, cgroupParent, drainGrace, runAs, idRange, scratchSize, false);
    }

    /** The settings before {@code cgroupRootSet} existed: a cgroup root other than /sys/fs/cgroup counts as configured. */
    public ProcessBackendSettings(Launcher launcher, String bwrap, String shell, List<String> inheritEnv, String defaultPath, Path cgroupRoot,
                                  String cgroupParent, Duration drainGrace, String runAs, IdRange idRange, long scratchSize, boolean forkServer) {
        this(launcher, bwrap, shell, inheritEnv, defaultPath, cgroupRoot, cgroupParent, drainGrace, runAs, idRange, scratchSize, forkServer,
                !DEFAULT_CGROUP_ROOT.equals(cgroupRoot));
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
                String fix = key.equals("unshare") ? "remove it: the unshare launcher is gone (it gave no new session, no private /tmp and "
                        + "no seccomp), bubblewrap runs every command" : "remove it or use one of " + String.join(", ", KEYS.stream().sorted().toList());
                throw new ConfigurationException("unknown setting " + settings.fullKey(key) + originSuffix(settings, key), fix);
            }
        }
        String launcherText = settings.string("launcher", "auto");
        Launcher launcher;
        try {
            launcher = Launcher.valueOf(launcherText.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw settings.invalid("launcher", launcherText, "auto or bwrap (the unshare launcher is gone: it could give no new "
                    + "session, private /tmp or seccomp; install bubblewrap)");
        }
        String shell = settings.string("shell", "/bin/sh");
        if (!shell.startsWith("/") || !isPath(shell)) {
            throw settings.invalid("shell", shell, "an absolute path to a POSIX shell, e.g. /bin/sh");
        }
        String bwrap = settings.string("bwrap", "bwrap");
        if (bwrap.isBlank() || !isPath(bwrap)) {
            throw settings.invalid("bwrap", bwrap, "the bubblewrap binary: a name looked up on PATH, or a path, e.g. /usr/bin/bwrap");
        }
        List<String> inheritEnv = settings.list("inherit-env");
        for (String name : inheritEnv) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw settings.invalid("inherit-env", String.valueOf(inheritEnv), "a list of environment variable names such as [LANG, TZ]");
            }
        }
        String defaultPath = settings.string("default-path", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        // Relative or empty entries would make a bare program name resolve in the work directory the command may write.
        if (!defaultPath.matches("/[^:\\x00]*(:/[^:\\x00]*)*")) {
            throw settings.invalid("default-path", defaultPath, "a colon-separated list of absolute directories, e.g. /usr/bin:/bin");
        }
        String cgroupParent = settings.string("cgroup-parent", "kavach");
        if (!cgroupParent.matches("[A-Za-z0-9_.-]{1,64}") || cgroupParent.startsWith(".") || cgroupParent.equals(OwnCgroup.SUPERVISOR_LEAF)) {
            throw settings.invalid("cgroup-parent", cgroupParent, "a single directory name of letters, digits, '_', '-' or '.' (not starting with '.', "
                    + "and not " + OwnCgroup.SUPERVISOR_LEAF + ", the group Kavach moves itself into)");
        }
        String cgroupRootText = settings.string("cgroup-root", "");
        if (!cgroupRootText.isBlank() && (!cgroupRootText.startsWith("/") || !isPath(cgroupRootText))) {
            throw settings.invalid("cgroup-root", cgroupRootText, "an absolute directory, e.g. /sys/fs/cgroup");
        }
        Path cgroupRoot = cgroupRootText.isBlank() ? DEFAULT_CGROUP_ROOT : Path.of(cgroupRootText);
        Duration drainGrace = settings.duration("drain-grace", Duration.ofSeconds(2));
        if (drainGrace.compareTo(MAX_DRAIN_GRACE) > 0) {
            throw settings.invalid("drain-grace", settings.string("drain-grace", ""), "a duration from 0s to 10m, e.g. 2s");
        }
        String runAs = settings.string("run-as", "auto").trim();
        // Names and numbers only: the value reaches setpriv as numbers resolved from /etc/passwd, never as text.
        if (!runAs.matches("auto|root|[0-9]{1,9}:[0-9]{1,9}|[a-z_][a-z0-9_.-]{0,31}")) {
            throw settings.invalid("run-as", runAs, "auto, root, a numeric \"uid:gid\" such as \"65534:65534\", or a user name such as nobody");
        }
        return new ProcessBackendSettings(launcher, bwrap, shell, inheritEnv, defaultPath, cgroupRoot, cgroupParent, drainGrace, runAs,
                idRange(settings), scratchSize(settings), forkServer(settings), !cgroupRootText.isBlank());
    }

    private static IdRange idRange(BackendSettings settings) {
        String text = settings.string("id-range", DEFAULT_ID_RANGE.toString()).trim();
        String accepted = "\"<first>-<last>\" host ids, at least 1 and below 2147483647, e.g. \"" + DEFAULT_ID_RANGE + "\"";
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,10})-([0-9]{1,10})").matcher(text);
        if (!m.matches()) {
            throw settings.invalid("id-range", text, accepted);
        }
        long first = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        // 0 is root and 65534 is nobody: handing either to a sandbox would share an identity with the host.
        if (first < 1 || last < first || last >= Integer.MAX_VALUE || (first <= 65534 && 65534 <= last)) {
            throw settings.invalid("id-range", text, accepted + ", not containing 0 or 65534 (nobody)");
        }
        return new IdRange((int) first, (int) (last - first + 1));
    }

    private static boolean forkServer(BackendSettings settings) {
        return settings.bool("fork-server", false);
    }

    private static long scratchSize(BackendSettings settings) {
        long size = settings.bytes("scratch-size", DEFAULT_SCRATCH_SIZE);
        if (size < (1L << 20)) {
            throw settings.invalid("scratch-size", settings.string("scratch-size", ""), "a size of at least 1M, e.g. 512M");
        }
        return size;
    }

    private static boolean isPath(String text) {
        try {
            Path.of(text);
            return text.indexOf('\0') < 0;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static String originSuffix(BackendSettings settings, String key) {
        return Optional.of(settings.origin(key)).filter(o -> !o.isEmpty()).map(o -> " (set at " + o + ")").orElse("");
    }
}
