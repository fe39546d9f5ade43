package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;


/**
 * The cgroups of one exec: every process the command starts is a member, whatever it does to its
 * session or parent, which makes killing the whole tree sound.
 */
final class ExecCgroup {
    private final Path v2Dir;
    private final Map<String, Path> v1Dirs;
    ExecCgroup(Path v2Dir, Map<String, Path> v1Dirs) {
        this.v2Dir = v2Dir;
        this.v1Dirs = Map.copyOf(v1Dirs);
    }

    /** The {@code cgroup.procs} files the launcher writes its own PID to before it executes anything. */
    List<String> procsFiles() {
        List<String> files = new ArrayList<>();
        if (v2Dir != null) {
            files.add(v2Dir.resolve("cgroup.procs").toString());
        }
        for (Path dir : v1Dirs.values()) {
            files.add(dir.resolve("cgroup.procs").toString());
        }
        return files;
    }

    /** SIGKILLs every process in the group and waits until the group is empty (bounded). */
    void kill() {
        Path procs = v2Dir != null ? v2Dir.resolve("cgroup.procs")
                : v1Dirs.values().stream().findFirst().map(d -> d.resolve("cgroup.procs")).orElse(null);
        if (procs == null || members(procs).isEmpty()) {
            return; // the usual case after a normal exit: nothing was left behind
        }
        if (v2Dir != null && Files.exists(v2Dir.resolve("cgroup.kill"))) {
            try {
                KavachCgroups.write(v2Dir.resolve("cgroup.kill"), "1");
            } catch (IOException e) {
                // fall through to killing members one by one
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        long pause = 50_000;
        while (System.nanoTime() < deadline) {
            List<Long> members = members(procs);
            if (members.isEmpty()) {
                return;
            }
            // Without cgroup.kill (v1, older v2) a forking tree is killed member by member until none is left.
            for (long pid : members) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 5_000_000);
        }
    }

    /** Whether the kernel's OOM killer killed a member: memory.events (v2) or memory.oom_control (v1). */
    boolean oomKilled() {
        Optional<String> events = Optional.empty();
        if (v2Dir != null && Files.exists(v2Dir.resolve("memory.events"))) {
            events = HostTools.read(v2Dir.resolve("memory.events"));
        } else if (v1Dirs.containsKey("memory")) {
            events = HostTools.read(v1Dirs.get("memory").resolve("memory.oom_control"));
        }
        return events.map(text -> text.lines()
                .filter(line -> line.startsWith("oom_kill "))
                .anyMatch(line -> !line.substring("oom_kill ".length()).trim().equals("0"))).orElse(false);
    }

    /** Kills what is left and removes the groups; retries briefly while exiting members leave. */
    void remove() {
        List<Path> dirs = new ArrayList<>(v1Dirs.values());
        if (v2Dir != null) {
            dirs.add(v2Dir);
        }
        for (Path dir : dirs) {
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (true) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        break;
                    }
                    for (long pid : members(dir.resolve("cgroup.procs"))) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                    LockSupport.parkNanos(2_000_000);
                }
            }
        }
    }

    private static final long SELF = ProcessHandle.current().pid();

    /** Member processes, never this JVM (whose spawning thread may be passing through a group). */
    private static List<Long> members(Path procs) {
        return HostTools.read(procs).map(text -> text.lines().filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.trim()))
                .filter(pid -> pid != SELF).toList()).orElse(List.of());
    }
}
