package dev.kavach.api.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link TreeKill} did, and the proof: the processes it signalled and those still running when it
 * gave up waiting (zombies count as dead: they run nothing more).
 *
 * @param killed    the process ids it killed, parents before children
 * @param survivors the process ids still running afterwards; empty when the whole tree is gone
 * @param mechanism how the tree was killed, for the result's {@code timeout} enforcement note
 */
public record TreeKillReport(List<Long> killed, List<Long> survivors, String mechanism) {
    public TreeKillReport {
        killed = List.copyOf(killed);
        survivors = List.copyOf(survivors);
        requireNonNull(mechanism, "mechanism is null");
    }

    /** Whether nothing of the tree runs any more. */
    public boolean clean() {
        return survivors.isEmpty();
    }

    /**
     * The proof for a kill a backend made itself: waits (at most {@code within}) until none of
     * {@code killed} runs any more, and reports those that still do as survivors. A process counts as gone
     * once it exited, even if its parent has not reaped it yet; {@link ProcessHandle} checks each process's
     * start time, so a pid the kernel reuses meanwhile is not taken for a survivor.
     *
     * @param killed    the processes the backend signalled
     * @param mechanism how it killed them
     * @param within    how long the kernel may take to end them
     */
    public static TreeKillReport awaitGone(Collection<ProcessHandle> killed, String mechanism, Duration within) {
        requireNonNull(killed, "killed is null");
        requireNonNull(mechanism, "mechanism is null");
        requireNonNull(within, "within is null");
        List<ProcessHandle> handles = List.copyOf(killed);
        long deadline = System.nanoTime() + within.toNanos();
        long pause = 50_000;
        List<Long> survivors = stillRunning(handles);
        while (!survivors.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 5_000_000);
            survivors = stillRunning(handles);
        }
        return new TreeKillReport(handles.stream().map(ProcessHandle::pid).toList(), survivors, mechanism);
    }

    /**
     * This report and {@code then}'s, for two kills made one after the other: what either killed, the
     * survivors of either that still run now, and both mechanisms.
     */
    public TreeKillReport and(TreeKillReport then) {
        requireNonNull(then, "then is null");
        Set<Long> allKilled = new LinkedHashSet<>(killed);
        allKilled.addAll(then.killed());
        Set<Long> left = new LinkedHashSet<>();
        for (long pid : survivors) {
            if (ProcStat.running(pid)) {
                left.add(pid); // the second kill may have ended what the first missed
            }
        }
        left.addAll(then.survivors());
        return new TreeKillReport(new ArrayList<>(allKilled), new ArrayList<>(left), mechanism + "; then " + then.mechanism());
    }

    private static List<Long> stillRunning(List<ProcessHandle> handles) {
        List<Long> running = new ArrayList<>();
        for (ProcessHandle handle : handles) {
            if (handle.isAlive() && ProcStat.running(handle.pid())) {
                running.add(handle.pid());
            }
        }
        return running;
    }
}
