package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Empty cgroup v1 pids groups that only track a tree (no limit set), kept for reuse: creating and removing
 * a cgroup per exec would cost the {@code minimal} policy a noticeable share of a plain spawn. A group is
 * returned only once it is empty, so reuse never mixes two execs' processes.
 */
final class TrackingGroupPool {
    private static final int MAX_IDLE = 32;

    private final Path parent;
    private final String prefix;
    private final ConcurrentLinkedQueue<Path> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    // Shared by every pool of this JVM: several backends may run side by side.
    private static final AtomicLong COUNTER = new AtomicLong();

    /**
     * @param parent Kavach's parent group in the pids hierarchy
     * @param prefix names groups {@code <prefix><n>}; starts with {@code k<pid>-} so a later Kavach process
     *               can recognise groups orphaned by this one
     */
    TrackingGroupPool(Path parent, String prefix) {
        this.parent = requireNonNull(parent, "parent is null");
        this.prefix = requireNonNull(prefix, "prefix is null");
    }

    Path take() throws IOException {
        Path dir = idle.poll();
        if (dir != null) {
            idleCount.decrementAndGet();
            return dir;
        }
        return Files.createDirectory(parent.resolve(prefix + COUNTER.incrementAndGet()));
    }

    /** Takes back an empty group. */
    void give(Path dir) {
        evictOwnThreads(dir);
        if (idleCount.incrementAndGet() <= MAX_IDLE) {
            idle.offer(dir);
            return;
        }
        idleCount.decrementAndGet();
        delete(dir);
    }

    /** Removes every idle group. */
    void close() {
        Path dir;
        while ((dir = idle.poll()) != null) {
            idleCount.decrementAndGet();
            delete(dir);
        }
    }

    /**
     * The JDK starts a process-reaper thread from the spawning thread, so one started while the spawning
     * thread stood in a tracking group is born there and stays: the group then never empties and is never
     * removed. Moves this JVM's own threads back to the JVM's group (its main thread's, which never moves).
     */
    void evictOwnThreads(Path dir) {
        Optional<String> tasks = HostTools.read(dir.resolve("tasks"));
        Optional<Path> home = homeTasks();
        if (tasks.isEmpty() || home.isEmpty()) {
            return;
        }
        for (String tid : tasks.get().lines().map(String::trim).filter(t -> !t.isEmpty()).toList()) {
            if (Files.exists(Path.of("/proc/self/task", tid))) {
                try {
                    KavachCgroups.write(home.get(), tid);
                } catch (IOException e) {
                    // the thread exited meanwhile, or the home group is gone: nothing to move
                }
            }
        }
    }

    /** The {@code tasks} file of the pids group this JVM's main thread is in. */
    private Optional<Path> homeTasks() {
        return HostTools.read(Path.of("/proc/self/cgroup")).flatMap(text -> text.lines()
                .map(line -> line.split(":", 3))
                .filter(fields -> fields.length == 3 && Arrays.asList(fields[1].split(",")).contains("pids"))
                .map(fields -> parent.getParent().resolve(fields[2].substring(1)).resolve("tasks"))
                .findFirst());
    }

    private void delete(Path dir) {
        evictOwnThreads(dir);
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // an empty leftover group costs nothing and is removed by the next start's orphan sweep
        }
    }
}
