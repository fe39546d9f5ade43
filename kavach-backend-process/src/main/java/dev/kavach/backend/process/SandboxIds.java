package dev.kavach.backend.process;

import dev.kavach.api.SandboxException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import static java.util.Objects.requireNonNull;

/**
 * Hands out one host uid (used as the gid too) per running sandbox from a configured range, so that no two
 * sandboxes share an identity: one cannot signal, trace or read the files of another even where a namespace
 * would not stop it.
 *
 * <p>Allocation is safe across every Kavach JVM on the host: an id is taken by holding a lock on
 * {@code <dir>/<id>.lock} (a POSIX record lock, which the kernel drops when its owner dies, so a killed JVM's
 * ids come back by themselves). The directory is root's and 0700: only root allocates ids, since only root
 * can make a process another user. Within one JVM a set shared by every instance guards against taking one
 * id twice: record locks are per process, and opening and closing a second descriptor of a locked file would
 * even drop the lock.
 */
final class SandboxIds {
    /** Root's runtime directory for the lock files. */
    static final Path DEFAULT_DIR = Path.of("/run/kavach/ids");

    private final Path dir;
    private final ProcessBackendSettings.IdRange range;
    private volatile boolean prepared;
    /** Lock files this JVM holds, across all instances. */
    private static final Set<Path> TAKEN = ConcurrentHashMap.newKeySet();

    SandboxIds(Path dir, ProcessBackendSettings.IdRange range) {
        this.dir = requireNonNull(dir, "dir is null");
        this.range = requireNonNull(range, "range is null");
    }

    /** One held id; {@link #close()} gives it back. */
    final class Lease implements AutoCloseable {
        private final int id;
        private final FileChannel channel;
        private final FileLock lock;

        private Lease(int id, FileChannel channel, FileLock lock) {
            this.id = id;
            this.channel = channel;
            this.lock = lock;
        }

        int id() {
            return id;
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // closing the channel drops the lock in any case
            } finally {
                TAKEN.remove(file(id));
            }
        }
    }

    /** Takes a free id, starting at a random point of the range so that concurrent JVMs rarely collide. */
    Lease take() {
        if (!prepared) {
            try {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                prepared = true;
            } catch (IOException e) {
                throw new SandboxException("cannot prepare " + dir + " for the sandbox id locks: " + e.getMessage(),
                        "make " + dir.getParent() + " writable by root");
            }
        }
        int start = ThreadLocalRandom.current().nextInt(range.count());
        for (int i = 0; i < range.count(); i++) {
            int id = range.first() + (start + i) % range.count();
            if (!TAKEN.add(file(id))) {
                continue;
            }
            Lease lease = tryLock(id);
            if (lease != null) {
                return lease;
            }
            TAKEN.remove(file(id));
        }
        throw new SandboxException("all " + range.count() + " sandbox ids of kavach.backends.process.id-range (" + range
                + ") are in use by running sandboxes", "wait for some to finish, or widen kavach.backends.process.id-range");
    }

    private Path file(int id) {
        return dir.resolve(id + ".lock").toAbsolutePath().normalize();
    }

    private Lease tryLock(int id) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file(id), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return new Lease(id, channel, lock);
            }
        } catch (IOException | OverlappingFileLockException e) {
            // held elsewhere, or unusable: try the next id
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing held
            }
        }
        return null;
    }
}
