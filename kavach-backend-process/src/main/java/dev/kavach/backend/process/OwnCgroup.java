package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.LongUnaryOperator;

import static java.util.Objects.requireNonNull;

/**
 * Kavach's own cgroup v2 group and whether Kavach may build its groups below it. It must be delegated to this
 * user the way systemd's {@code Delegate=yes} does it: the directory and its {@code cgroup.procs},
 * {@code cgroup.subtree_control} and {@code cgroup.threads} owned by the user. And it must hold no process but
 * Kavach's: cgroup v2 lets a group give controllers to its children only while no process lives in it (the
 * "no internal processes" rule), so Kavach moves itself into a leaf of its own, {@value #SUPERVISOR_LEAF}, with
 * its descendants (the launcher's background class-data training, say), and never moves anyone else's process.
 *
 * @param dir         Kavach's cgroup, as /proc/self/cgroup names it, under the cgroup v2 mount
 * @param state       what Kavach may do with it
 * @param base        the delegated group Kavach builds its groups under ({@code dir}, or its parent once Kavach is
 *                    in its leaf); {@code null} unless {@link #usable()}
 * @param controllers the controllers {@code base} can give its children (its {@code cgroup.controllers})
 * @param owner       the uid owning {@code dir}, or -1 when unknown
 * @param uid         the user Kavach runs as
 * @param pid         Kavach's own process, the one it may move (with its descendants)
 * @param others      how many processes that are neither Kavach's nor its descendants are in {@code dir}
 * @param parentOf    the parent of a process, or -1 when it is gone (tests hand in a process tree of their own)
 */
record OwnCgroup(Path dir, State state, Path base, Set<String> controllers, int owner, int uid, long pid, int others, LongUnaryOperator parentOf) {
    /** The parents of this host's processes. */
    static final LongUnaryOperator HOST_PARENTS = child -> ProcessHandle.of(child).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);

    /** The leaf group Kavach moves its own process into, beside its parent group for execs. */
    static final String SUPERVISOR_LEAF = "kavach-supervisor";

    /** What Kavach may do with its own cgroup. */
    enum State {
        /** Delegated to this user and Kavach is alone in it: Kavach moves itself into its leaf and builds below. */
        DELEGATED,
        /** Kavach already is in the leaf of a group delegated to this user (a second backend in the same JVM). */
        IN_LEAF,
        /** Delegated to this user, but other processes share it: they are not Kavach's to move. */
        SHARED,
        /** Not delegated to this user. */
        NOT_DELEGATED
    }

    OwnCgroup {
        requireNonNull(dir, "dir is null");
        requireNonNull(state, "state is null");
        controllers = Set.copyOf(controllers);
        requireNonNull(parentOf, "parentOf is null");
    }

    /**
     * Inspects Kavach's cgroup {@code dir}.
     *
     * @param dir   the directory of Kavach's cgroup
     * @param mount the cgroup v2 mount point (Kavach never builds above it)
     * @param uid   the user Kavach runs as
     * @param pid      Kavach's own process
     * @param parentOf the parent of a process, or -1
     */
    static OwnCgroup inspect(Path dir, Path mount, int uid, long pid, LongUnaryOperator parentOf) {
        int owner = owner(dir);
        Path parent = dir.getParent();
        if (dir.getFileName() != null && dir.getFileName().toString().equals(SUPERVISOR_LEAF) && !dir.equals(mount)
                && parent != null && parent.startsWith(mount) && delegatedTo(parent, uid)) {
            return new OwnCgroup(dir, State.IN_LEAF, parent, CgroupHost.controllers(parent), owner, uid, pid, 0, parentOf);
        }
        if (!delegatedTo(dir, uid)) {
            return new OwnCgroup(dir, State.NOT_DELEGATED, null, Set.of(), owner, uid, pid, 0, parentOf);
        }
        int others = (int) members(dir).stream().filter(member -> !isKavachs(member, pid, parentOf)).count();
        if (others > 0) {
            return new OwnCgroup(dir, State.SHARED, null, Set.of(), owner, uid, pid, others, parentOf);
        }
        return new OwnCgroup(dir, State.DELEGATED, dir, CgroupHost.controllers(dir), owner, uid, pid, 0, parentOf);
    }

    /** The processes in group {@code dir} ({@code cgroup.procs}). */
    static List<Long> members(Path dir) {
        return HostTools.read(dir.resolve("cgroup.procs")).map(text -> text.lines().map(String::strip).filter(line -> line.matches("[0-9]{1,19}"))
                .map(Long::parseLong).toList()).orElse(List.of());
    }

    /** Whether {@code member} is Kavach's process {@code pid} or one of its descendants. */
    static boolean isKavachs(long member, long pid, LongUnaryOperator parentOf) {
        long process = member;
        for (int depth = 0; depth < 64 && process > 0; depth++) {
            if (process == pid) {
                return true;
            }
            process = parentOf.applyAsLong(process);
        }
        return false;
    }

    /** Whether {@code member} is Kavach's process or one of its descendants. */
    boolean isKavachs(long member) {
        return isKavachs(member, pid, parentOf);
    }

    /** Whether Kavach may build its groups below {@link #base()}. */
    boolean usable() {
        return state == State.DELEGATED || state == State.IN_LEAF;
    }

    /** Whether Kavach must first move its own process into {@link #leaf()}. */
    boolean moveSelf() {
        return state == State.DELEGATED;
    }

    Path leaf() {
        return requireNonNull(base, "not usable").resolve(SUPERVISOR_LEAF);
    }

    /** Whether the group belongs to a user's systemd manager ({@code user@<uid>.service}), which delegates what user@.service says. */
    boolean underUserManager() {
        for (Path name : dir) {
            if (name.toString().matches("user@[0-9]+\\.service")) {
                return true;
            }
        }
        return false;
    }

    /** One clause for the probe and for refusals. */
    String describe() {
        return switch (state) {
            case DELEGATED -> "Kavach's cgroup " + dir + " is delegated to uid " + uid + " (Kavach moves itself into " + leaf() + ")";
            case IN_LEAF -> "Kavach runs in " + dir + ", its leaf of the cgroup " + base + " delegated to uid " + uid;
            case SHARED -> "Kavach's cgroup " + dir + " is delegated to uid " + uid + " but " + others + (others == 1 ? " other process "
                    + "(such as the shell that started Kavach) shares it" : " other processes (such as the shell that started Kavach) share it")
                    + ", and Kavach moves no process but its own";
            case NOT_DELEGATED -> "Kavach's cgroup " + dir + " is not delegated to uid " + uid
                    + (owner >= 0 && owner != uid ? " (owned by uid " + owner + ")" : "");
        };
    }

    /**
     * Whether {@code dir} is delegated to {@code uid} as systemd delegates a cgroup: the directory and the files
     * that let a user create groups, move processes and enable controllers below it are the user's.
     */
    static boolean delegatedTo(Path dir, int uid) {
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            return false;
        }
        for (String file : List.of("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads")) {
            Path path = file.isEmpty() ? dir : dir.resolve(file);
            // cgroup.threads arrived in Linux 4.14: older kernels have nothing to delegate there.
            if (!(file.equals("cgroup.threads") && !Files.exists(path)) && owner(path) != uid) {
                return false;
            }
        }
        return true;
    }

    private static int owner(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
