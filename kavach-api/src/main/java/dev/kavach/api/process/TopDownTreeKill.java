package dev.kavach.api.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The kit's {@link TreeKill}: freeze top-down, kill top-down, then prove it. */
final class TopDownTreeKill implements TreeKill {
    static final TopDownTreeKill INSTANCE = new TopDownTreeKill(Duration.ofSeconds(5));

    /** Rounds of listing and freezing; each finds only what forked in the moment before its parent froze. */
    private static final int MAX_ROUNDS = 20;

    private final Duration verifyWithin;

    TopDownTreeKill(Duration verifyWithin) {
        this.verifyWithin = verifyWithin;
    }

    @Override
    public TreeKillReport kill(ProcessHandle root, long processGroup) {
        if (nothingLeft(root, processGroup)) {
            // The usual end of a command that exited and left nothing behind: no signal to send.
            return new TreeKillReport(List.of(), List.of(), mechanism(processGroup));
        }
        if (processGroup > 0) {
            Signals.sendToGroup("STOP", processGroup);
        }
        Map<Long, ProcessHandle> frozen = new LinkedHashMap<>();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            List<Long> found = new ArrayList<>();
            for (ProcessHandle handle : tree(root, processGroup)) {
                if (!frozen.containsKey(handle.pid()) && ProcStat.running(handle.pid())) {
                    frozen.put(handle.pid(), handle);
                    found.add(handle.pid());
                }
            }
            if (found.isEmpty()) {
                break;
            }
            Signals.send("STOP", found);
        }
        // Everything is frozen: kill in the same order. SIGKILL needs no SIGCONT. ProcessHandle checks the
        // start time, so a pid reused meanwhile is never hit.
        if (processGroup > 0) {
            Signals.sendToGroup("KILL", processGroup);
        }
        frozen.values().forEach(ProcessHandle::destroyForcibly);
        root.destroyForcibly();
        return new TreeKillReport(List.copyOf(frozen.keySet()), survivors(frozen, processGroup), mechanism(processGroup));
    }

    private static boolean nothingLeft(ProcessHandle root, long processGroup) {
        return !ProcStat.running(root.pid()) && root.descendants().findAny().isEmpty()
                && (processGroup <= 0 || ProcStat.groupMembers(processGroup).isEmpty());
    }

    /** The root, then its descendants as the kernel lists them (level by level: parents first), then group members. */
    private static List<ProcessHandle> tree(ProcessHandle root, long processGroup) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        if (processGroup > 0) {
            for (long pid : ProcStat.groupMembers(processGroup)) {
                ProcessHandle.of(pid).ifPresent(tree::add);
            }
        }
        return tree;
    }

    private List<Long> survivors(Map<Long, ProcessHandle> killed, long processGroup) {
        long deadline = System.nanoTime() + verifyWithin.toNanos();
        while (true) {
            List<Long> survivors = new ArrayList<>();
            for (ProcessHandle handle : killed.values()) {
                if (handle.isAlive() && ProcStat.running(handle.pid())) {
                    survivors.add(handle.pid());
                }
            }
            if (processGroup > 0) {
                for (long pid : ProcStat.groupMembers(processGroup)) {
                    if (!survivors.contains(pid)) {
                        survivors.add(pid);
                    }
                }
            }
            if (survivors.isEmpty() || System.nanoTime() - deadline > 0) {
                return survivors;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return survivors;
            }
        }
    }

    private static String mechanism(long processGroup) {
        return "SIGSTOP then SIGKILL, parents before children, of " + (processGroup > 0 ? "the command's process group and " : "")
                + "every descendant the kernel lists; verified that none still runs";
    }
}
