package dev.kavach.api.process;

/**
 * Kills a launched process and everything it started. {@link #topDown()} is the kit's; a backend whose
 * launcher holds the tree in something stronger (a cgroup, a PID namespace) passes its own.
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
}
