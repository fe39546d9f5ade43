package dev.kavach.api.process;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * Kills a launched process and everything it started. {@link #topDown()} is the kit's; a backend whose
 * launcher holds the tree in something stronger (a cgroup, a PID namespace) passes its own, e.g.
 * {@link #cgroup(Path)}, alone or chained with {@link #andThen(TreeKill)}.
 */
@FunctionalInterface
public interface TreeKill {
    /**
     * Kills {@code process} and its whole tree, and reports what still runs afterwards. Called on timeout,
     * and again after the process exited (to stop what it left running in the background).
     *
     * @param process      the launched process (it may have exited already)
     * @param processGroup the process group the launch created ({@code setsid}), or {@code -1} for none
     */
    TreeKillReport kill(ProcessHandle process, long processGroup);

    /**
     * Freezes, then kills, parents before children: SIGSTOP to the process group and to every descendant
     * the kernel lists (repeated until a listing finds nothing new, since a frozen parent cannot fork and
     * its children stay its own), then SIGKILL to the same processes in the same order, then waits until
     * none of them, and no member of the process group, still runs. A parent shell that respawns its
     * children can neither respawn them nor lose them to init while its tree is being killed.
     */
    static TreeKill topDown() {
        return TopDownTreeKill.INSTANCE;
    }

    /**
     * Kills every member of the cgroup at {@code directory} (a cgroup v2 directory, or a v1 one of any
     * controller), wherever in the process tree they are: through {@code cgroup.kill} where the kernel has it
     * (v2, Linux 5.14+), otherwise SIGKILL to each member listed in {@code cgroup.procs}, over and over until
     * the list is empty (a forking tree cannot outrun it: each round takes what the last one missed). The
     * proof is the group itself: the report's survivors are the members still listed after 5 seconds. A
     * group that does not exist (never made, or already removed) has nothing to kill. This JVM is never
     * signalled, even while one of its threads passes through the group to spawn a child there.
     *
     * <p>For a backend whose launcher joins the exec's own cgroup before it runs anything: a daemon that
     * calls {@code setsid} and re-parents to init is still a member, which neither the process tree nor the
     * process group can say.
     */
    static TreeKill cgroup(Path directory) {
        return new CgroupTreeKill(requireNonNull(directory, "directory is null"));
    }

    /**
     * This kill, then {@code next}. The report lists what either killed, the survivors of either that still
     * run when both are done, and both mechanisms, e.g. a cgroup kill then the kill of the launcher's PID
     * namespace.
     */
    default TreeKill andThen(TreeKill next) {
        requireNonNull(next, "next is null");
        return (process, processGroup) -> kill(process, processGroup).and(next.kill(process, processGroup));
    }
}
