package dev.kavach.backend.process;

import dev.kavach.api.SandboxException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Where a backend's session directories live on the host: {@code <tmp>/kavach-sessions-<pid>-<random>/}, with
 * a held lock on its {@code owner.lock} like the backend's private directory, so that {@link LeftoverDirs}
 * removes it once its owner died ({@code kill -9}). It is separate from that private directory because a
 * sandbox's bubblewrap, running as the sandbox's own uid when Kavach is root, must be able to pass through it
 * (mode 0711, nothing listable) to bind its session's directory, while the private directory (launch
 * arguments with the command's environment) stays 0700. Each session directory is 0700 and belongs to the
 * uid its commands run as.
 */
final class SessionDirectories implements AutoCloseable {
    static final String PREFIX = "kavach-sessions-";
    private static final AtomicLong COUNTER = new AtomicLong();

    private final Path root;
    private final FileChannel ownerLock;

    private SessionDirectories(Path root, FileChannel ownerLock) {
        this.root = root;
        this.ownerLock = ownerLock;
    }

    /**
     * Sweeps what dead owners left in {@code tmp}, then makes this backend's root.
     *
     * @param passable whether other uids (the per-sandbox ones) must pass through it
     */
    static SessionDirectories create(Path tmp, boolean passable) throws IOException {
        LeftoverDirs.sweep(tmp, PREFIX, ProcessSandboxBackend.OWNER_LOCK);
        Path root = Files.createTempDirectory(tmp, PREFIX + ProcessHandle.current().pid() + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        FileChannel lock = null;
        try {
            lock = FileChannel.open(root.resolve(ProcessSandboxBackend.OWNER_LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            lock.lock();
            if (passable) {
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
            }
            return new SessionDirectories(root, lock);
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.close();
            }
            TreeRemoval.remove(root);
            throw e;
        }
    }

    Path root() {
        return root;
    }

    /** A new, empty session directory (0700) owned by {@code owner}. */
    Path create(ConfinedFiles.Owner owner) {
        requireNonNull(owner, "owner is null");
        Path dir = root.resolve("s" + COUNTER.incrementAndGet());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (owner.uid() >= 0) {
                Files.setAttribute(dir, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(dir, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
            }
            return dir;
        } catch (IOException e) {
            TreeRemoval.remove(dir);
            throw new SandboxException("cannot create a session directory under " + root + ": " + e.getMessage(),
                    "make java.io.tmpdir (" + root.getParent() + ") writable and check its free space", e);
        }
    }

    /** Removes every session directory left and the root itself. */
    @Override
    public void close() {
        TreeRemoval.remove(root);
        try {
            ownerLock.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
