package dev.kavach.backend.process;

import dev.kavach.api.ConfigurationException;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The host user a command runs as, resolved once from {@code kavach.backends.process.run-as} when the
 * backend starts. Running as root, Kavach does what needs root (cgroup joins, rlimits, opening the
 * seccomp program and its private status and argument files) first and then drops to this uid and gid with
 * {@code setpriv}, so untrusted code never holds host root's file access unless root is configured
 * explicitly. With {@code auto} as root each sandbox gets its own uid and gid from
 * {@code kavach.backends.process.id-range} ({@link #perSandbox}, see {@link SandboxIds}).
 *
 * @param uid          the host uid of the command
 * @param gid          the host gid of the command
 * @param name         the user's name, or the number when {@code /etc/passwd} has none
 * @param dropFromRoot Kavach runs as root and the command must not: privileges are dropped before it starts
 * @param hostRoot     the command runs as host uid 0 (only when configured as {@code run-as = root})
 * @param perSandbox   each exec gets its own id from the id range; {@code uid} and {@code gid} are then -1
 *                     until {@link #forSandbox} fills them in
 */
record RunAs(int uid, int gid, String name, boolean dropFromRoot, boolean hostRoot, boolean perSandbox) {
    static final String KEY = "kavach.backends.process.run-as";
    /** nobody/nogroup on Debian, Fedora and most other distributions. */
    static final int NOBODY = 65534;

    RunAs {
        requireNonNull(name, "name is null");
    }

    /**
     * Resolves a validated setting ({@code auto}, {@code root}, {@code <uid>:<gid>} or a user name).
     *
     * @param setting    the value of {@code run-as}
     * @param currentUid the uid Kavach runs as
     * @param currentGid the gid Kavach runs as
     * @param passwd     the text of {@code /etc/passwd}, for names
     */
    static RunAs resolve(String setting, int currentUid, int currentGid, String passwd) {
        requireNonNull(setting, "setting is null");
        requireNonNull(passwd, "passwd is null");
        boolean root = currentUid == 0;
        if (setting.equals("auto")) {
            if (!root) {
                return new RunAs(currentUid, currentGid, nameOf(currentUid, passwd), false, false, false);
            }
            return new RunAs(-1, -1, "an id of its own", true, false, true);
        }
        if (setting.equals("root")) {
            if (!root) {
                throw new ConfigurationException(KEY + " = root, but Kavach runs as uid " + currentUid + " and cannot make a command root",
                        "set " + KEY + " = auto, or run Kavach as root");
            }
            return new RunAs(0, 0, "root", false, true, false);
        }
        int uid;
        int gid;
        String name;
        int colon = setting.indexOf(':');
        if (colon > 0) {
            uid = Integer.parseInt(setting.substring(0, colon));
            gid = Integer.parseInt(setting.substring(colon + 1));
            name = nameOf(uid, passwd);
        } else {
            Entry entry = entry(setting, passwd).orElseThrow(() -> new ConfigurationException(KEY + " = " + setting
                    + ": no such user in /etc/passwd", "create the user, or give a numeric uid:gid such as \"65534:65534\""));
            uid = entry.uid();
            gid = entry.gid();
            name = setting;
        }
        if (uid == 0 || gid == 0) {
            throw new ConfigurationException(KEY + " = " + setting + " names uid or gid 0: host root's file access is given "
                    + "to commands only when asked for by name", "set " + KEY + " = root to mean it, or choose an unprivileged user");
        }
        if (!root) {
            if (uid == currentUid && gid == currentGid) {
                return new RunAs(uid, gid, name, false, false, false);
            }
            throw new ConfigurationException(KEY + " = " + setting + ", but Kavach runs as uid " + currentUid + " gid " + currentGid
                    + " and cannot change to another user", "set " + KEY + " = auto, or run Kavach as root");
        }
        return new RunAs(uid, gid, name, true, false, false);
    }

    /** The identity of one sandbox that holds {@code id}: this, when every sandbox shares one user. */
    RunAs forSandbox(int id) {
        return perSandbox ? new RunAs(id, id, "sandbox id " + id, true, false, false) : this;
    }

    /** Resolves against this host's uid and {@code /etc/passwd}. */
    static RunAs resolve(String setting) {
        HostTools.Ids ids = HostTools.ids();
        return resolve(setting, ids.uid(), ids.gid(), HostTools.read(java.nio.file.Path.of("/etc/passwd")).orElse(""));
    }

    /** {@code setpriv} arguments that drop to this user, then {@code --}; the caller prepends the binary. */
    java.util.List<String> setprivArgs() {
        if (uid < 0) {
            throw new IllegalStateException("a per-sandbox identity has no ids before forSandbox");
        }
        return java.util.List.of("--reuid", Integer.toString(uid), "--regid", Integer.toString(gid), "--clear-groups", "--no-new-privs", "--");
    }

    /** For the result's enforcement list and the probe; {@code range} is where per-sandbox ids come from. */
    String describe(ProcessBackendSettings.IdRange range) {
        String who = "uid " + uid + " gid " + gid + " (" + name + ")";
        if (hostRoot) {
            return "WARNING: host root (uid 0) as configured by " + KEY + " = root: with a writable root the command can change host files";
        }
        String drop = ", no supplementary groups, no capabilities, no_new_privs: Kavach (root) joins the cgroups, sets the rlimits and "
                + "opens the seccomp program and its private argument and status files, then drops to this user with setpriv before "
                + "bubblewrap starts";
        if (perSandbox) {
            return "a uid and gid of its own per sandbox, from kavach.backends.process.id-range " + range + drop;
        }
        if (dropFromRoot) {
            return who + drop;
        }
        return who + ", the user Kavach runs as (not root, so it cannot give sandboxes ids of their own: they share this uid and "
                + "are kept apart by their own user, PID, mount and IPC namespaces, each with private /tmp, /var/tmp, /dev/shm and /run/lock)";
    }

    private record Entry(int uid, int gid) {
    }

    private static Optional<Entry> entry(String user, String passwd) {
        return passwd.lines().map(line -> line.split(":", -1)).filter(f -> f.length >= 4 && f[0].equals(user))
                .findFirst().flatMap(f -> {
                    try {
                        return Optional.of(new Entry(Integer.parseInt(f[2]), Integer.parseInt(f[3])));
                    } catch (NumberFormatException e) {
                        return Optional.empty();
                    }
                });
    }

    private static String nameOf(int uid, String passwd) {
        String number = Integer.toString(uid);
        return passwd.lines().map(line -> line.split(":", -1)).filter(f -> f.length >= 3 && f[2].equals(number))
                .map(f -> f[0]).findFirst().orElse(number);
    }
}
