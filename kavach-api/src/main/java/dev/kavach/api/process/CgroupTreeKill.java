package dev.kavach.api.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/** The kit's cgroup kill (see {@link TreeKill#cgroup(Path)}): every member of one group, proved by the group itself. */
final class CgroupTreeKill implements TreeKill {
    private static final long SELF = ProcessHandle.current().pid();
    private static final long VERIFY_NANOS = 5_000_000_000L;

    private final Path directory;

    CgroupTreeKill(Path directory) {
        this.directory = directory;
    }

    @Override
    public TreeKillReport kill(ProcessHandle process, long processGroup) {
        List<Long> members = members(directory);
        if (members.isEmpty()) {
            return new TreeKillReport(List.of(), List.of(), mechanism()); // the usual end: nothing was left behind
        }
        Set<Long> killed = new LinkedHashSet<>(members);
        Path kill = directory.resolve("cgroup.kill");
        if (Files.exists(kill)) {
            try {
                Files.writeString(kill, "1", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                // fall through to killing the members one by one
            }
        }
        long deadline = System.nanoTime() + VERIFY_NANOS;
        long pause = 50_000;
        while (true) {
            members = members(directory);
            if (members.isEmpty() || System.nanoTime() - deadline > 0) {
                return new TreeKillReport(new ArrayList<>(killed), members, mechanism());
            }
            // Without cgroup.kill (v1, older v2) a forking tree is killed member by member until none is left.
            for (long pid : members) {
                killed.add(pid);
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 5_000_000);
        }
    }

    private String mechanism() {
        // The group may not exist yet (a dry run describes it) or any more: its parent has the same interface files.
        Path parent = directory.getParent();
        return (Files.exists(directory.resolve("cgroup.kill")) || parent != null && Files.exists(parent.resolve("cgroup.kill"))
                ? "cgroup.kill" : "SIGKILL of every member, until none is left,") + " of cgroup " + directory;
    }

    /** The group's processes, never this JVM (whose spawning thread may be passing through the group). */
    static List<Long> members(Path directory) {
        String text;
        try {
            text = Files.readString(directory.resolve("cgroup.procs"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return List.of(); // no such group (never made, or removed): nothing in it
        }
        List<Long> members = new ArrayList<>();
        for (String line : text.split("\n")) {
            String pid = line.strip();
            if (!pid.isEmpty() && Long.parseLong(pid) != SELF) {
                members.add(Long.parseLong(pid));
            }
        }
        return members;
    }
}
