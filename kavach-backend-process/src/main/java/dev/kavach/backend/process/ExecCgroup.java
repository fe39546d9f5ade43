package dev.kavach.backend.process;

import dev.kavach.api.process.TreeKill;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * session or parent, which makes killing the whole tree sound. The kill itself is the kit's
 * {@link TreeKill#cgroup}.
 */
final class ExecCgroup {
    private static final Logger LOG = LoggerFactory.getLogger(ExecCgroup.class);

    private final Path v2Dir;
    private final Map<String, Path> v1Dirs;

    ExecCgroup(Path v2Dir, Map<String, Path> v1Dirs) {
        this.v2Dir = v2Dir;
        this.v1Dirs = Map.copyOf(v1Dirs);
    }

    /** The {@code cgroup.procs} files the launcher writes its own PID to before it executes anything. */
    List<String> procsFiles() {
        List<String> files = new ArrayList<>();
        for (Path dir : dirs()) {
            files.add(dir.resolve("cgroup.procs").toString());
        }
        return files;
    }

    /**
     * Kills every member of the group (v2 where there is one: it has {@code cgroup.kill}; else the first v1
     * group, which holds the same processes) and proves it empty.
     */
    TreeKill treeKill() {
        return TreeKill.cgroup(v2Dir != null ? v2Dir : v1Dirs.values().iterator().next());
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
        for (Path dir : dirs()) {
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (true) {
                try {
                    Files.deleteIfExists(dir);
                    LOG.debug("removed cgroup {}", dir);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        LOG.debug("could not remove cgroup {} ({}); the next start removes it once its owner is gone", dir, e.getMessage());
                        break;
                    }
                    TreeKill.cgroup(dir).kill(ProcessHandle.current(), -1);
                    LockSupport.parkNanos(2_000_000);
                }
            }
        }
    }

    private List<Path> dirs() {
        List<Path> dirs = new ArrayList<>();
        if (v2Dir != null) {
            dirs.add(v2Dir);
        }
        dirs.addAll(v1Dirs.values());
        return dirs;
    }
}
