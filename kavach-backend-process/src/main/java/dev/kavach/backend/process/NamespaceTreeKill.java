package dev.kavach.backend.process;

import dev.kavach.api.process.TreeKill;
import dev.kavach.api.process.TreeKillReport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Kills one exec's sandbox through its PID namespace, for the kit's runner: the sandbox's first process (the
 * namespace's init, whose death makes the kernel kill every process in the namespace), then bubblewrap and
 * the launcher, then proves with {@link TreeKillReport#awaitGone} that none of them still runs. bubblewrap
 * reports that first process on Kavach's private status file ({@code --json-status-fd}) right after it
 * clones it; killing bubblewrap before that process armed its parent-death signal would orphan it, so it is
 * learnt first and killed by itself.
 *
 * <p>After a normal end, bubblewrap may exit as soon as its init passed the command's status on, a moment
 * before that init finished ending the namespace (the kernel kills and reaps what is left there when it
 * exits): the kill then waits for that init to be gone, which proves every process of the namespace gone.
 *
 * <p>When bubblewrap never reported the sandbox's end (it was killed before it collected its child), that
 * child may still be going down as an orphan: it is killed and waited for as well, and with an id of the
 * sandbox's own (Kavach as root) so is every process of that uid, wherever it re-parented, so that the id is
 * free of processes before it goes back to the pool.
 */
final class NamespaceTreeKill implements TreeKill {
    /** How {@link #kill} stops a sandbox, for the {@code timeout} enforcement note. */
    static final String MECHANISM = "SIGKILL of the sandbox's PID namespace init (bwrap --json-status-fd's child-pid; its death ends every "
            + "process in the namespace), then of bubblewrap (--die-with-parent) and the launcher; verified that none still runs";
    private static final Duration VERIFY_WITHIN = Duration.ofSeconds(5);
    private static final long CHILD_PID_WAIT_NANOS = 2_000_000_000L;

    private final Path statusFile;
    private final int uid;
    private final boolean uidOfItsOwn;

    /**
     * @param statusFile  the exec's private status file, which bubblewrap writes its JSON status to
     * @param uid         the uid the sandbox's processes run as
     * @param uidOfItsOwn whether that uid belongs to this sandbox alone (an id leased for the exec, or held by its session), so that every process of it is the sandbox's
     */
    NamespaceTreeKill(Path statusFile, int uid, boolean uidOfItsOwn) {
        this.statusFile = statusFile;
        this.uid = uid;
        this.uidOfItsOwn = uidOfItsOwn;
    }

    @Override
    public TreeKillReport kill(ProcessHandle launcher, long processGroup) {
        Map<Long, ProcessHandle> targets = new LinkedHashMap<>();
        if (launcher.isAlive()) {
            awaitChildPid(launcher).ifPresent(pid -> ProcessHandle.of(pid).ifPresent(init -> targets.put(pid, init)));
            launcher.descendants().forEach(handle -> targets.putIfAbsent(handle.pid(), handle));
            targets.putIfAbsent(launcher.pid(), launcher);
        }
        LaunchStatus status = LaunchStatus.parse(read(statusFile));
        if (targets.isEmpty() && status.exitCode().isPresent() && status.childPid().isPresent()) {
            // bubblewrap exits as soon as its init passed the command's status on, while that init may still be
            // ending the namespace: its exit kills every process left in the namespace and waits for them, so
            // once it is gone nothing of the sandbox runs. Only waited for, never signalled: it is ending already.
            long pid = status.childPid().getAsLong();
            ProcessHandle.of(pid).filter(h -> uidOf(pid) == uid && namespaceInit(pid)).ifPresent(init -> targets.put(pid, init));
            if (!targets.isEmpty()) {
                return TreeKillReport.awaitGone(targets.values(), MECHANISM, VERIFY_WITHIN);
            }
        }
        if (status.exitCode().isEmpty()) {
            // bubblewrap never collected its child: that child, if it still runs as the sandbox's uid, is an orphan.
            status.childPid().ifPresent(pid -> ProcessHandle.of(pid).filter(h -> uidOf(pid) == uid).ifPresent(h -> targets.putIfAbsent(pid, h)));
            if (uidOfItsOwn) {
                processesOf(uid).forEach(h -> targets.putIfAbsent(h.pid(), h));
            }
        }
        if (targets.isEmpty()) {
            return new TreeKillReport(List.of(), List.of(), MECHANISM); // the usual end: bubblewrap exited and took its sandbox along
        }
        targets.values().forEach(ProcessHandle::destroyForcibly);
        TreeKillReport report = TreeKillReport.awaitGone(targets.values(), MECHANISM, VERIFY_WITHIN);
        if (uidOfItsOwn && status.exitCode().isEmpty()) {
            // Whatever the namespace's processes forked while they were being killed ran as the same uid.
            List<ProcessHandle> late = processesOf(uid);
            if (!late.isEmpty()) {
                late.forEach(ProcessHandle::destroyForcibly);
                report = report.and(TreeKillReport.awaitGone(late, "SIGKILL of every process of uid " + uid, VERIFY_WITHIN));
            }
        }
        return report;
    }

    /** The sandbox's first process once bubblewrap reported it, waiting (bounded) while the launcher still runs. */
    private OptionalLong awaitChildPid(ProcessHandle launcher) {
        long deadline = System.nanoTime() + CHILD_PID_WAIT_NANOS;
        long pause = 50_000;
        while (true) {
            OptionalLong pid = LaunchStatus.parse(read(statusFile)).childPid();
            if (pid.isPresent() || !launcher.isAlive() || System.nanoTime() - deadline > 0) {
                return pid;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 2_000_000);
        }
    }

    static String read(Path statusFile) {
        try {
            byte[] bytes = Files.readAllBytes(statusFile);
            return new String(bytes, 0, Math.min(bytes.length, 64 * 1024), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether {@code pid} is the first process of a PID namespace of its own (NSpid ends in 1), as a sandbox's init is. */
    private static boolean namespaceInit(long pid) {
        return HostTools.read(Path.of("/proc", Long.toString(pid), "status")).flatMap(status -> status.lines()
                .filter(line -> line.startsWith("NSpid:")).findFirst()).map(line -> {
                    String[] ids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return ids.length > 1 && ids[ids.length - 1].equals("1");
                }).orElse(false);
    }

    /** Every process on the host running as {@code uid} (its real uid), from {@code /proc}. */
    static List<ProcessHandle> processesOf(long uid) {
        return ProcessHandle.allProcesses().filter(h -> uidOf(h.pid()) == uid).toList();
    }

    static long uidOf(long pid) {
        return HostTools.read(Path.of("/proc", Long.toString(pid), "status")).flatMap(status -> status.lines()
                .filter(line -> line.startsWith("Uid:")).findFirst().map(line -> Long.parseLong(line.split("\\s+")[1]))).orElse(-1L);
    }
}
