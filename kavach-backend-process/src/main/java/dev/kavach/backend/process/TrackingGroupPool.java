package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private static void delete(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // an empty leftover group costs nothing and is removed by the next start's orphan sweep
        }
    }
}
