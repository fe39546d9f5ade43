package dev.kavach.backend.process;

import dev.kavach.api.SandboxException;
import dev.kavach.api.process.OwnedDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Where a backend's session directories live on the host: {@code <tmp>/kavach-sessions-<pid>-<random>/}, with
 * a held lock on its {@code owner.lock} like the backend's private directory, so that {@link OwnedDirectory#sweep}
 * removes it once its owner died ({@code kill -9}). It is separate from that private directory because a
 * sandbox's bubblewrap, running as the sandbox's own uid when Kavach is root, must be able to pass through it
 * (mode 0711, nothing listable) to bind its session's directory, while the private directory (launch
 * arguments with the command's environment) stays 0700. Each session directory is 0700 and belongs to the
 * uid its commands run as.
 */
final class SessionDirectories implements AutoCloseable {
    static final String PREFIX = "kavach-sessions-";
    private static final AtomicLong COUNTER = new AtomicLong();

    private final OwnedDirectory owned;
    private final Path root;

    private SessionDirectories(OwnedDirectory owned) {
        this.owned = owned;
        this.root = owned.path();
    }

    /**
     * Sweeps what dead owners left in {@code tmp}, then makes this backend's root.
     *
     * @param passable whether other uids (the per-sandbox ones) must pass through it
     */
    static SessionDirectories create(Path tmp, boolean passable) throws IOException {
        OwnedDirectory.sweep(tmp, PREFIX);
        OwnedDirectory owned = OwnedDirectory.create(tmp, PREFIX);
        try {
            if (passable) {
                Files.setPosixFilePermissions(owned.path(), PosixFilePermissions.fromString("rwx--x--x"));
            }
            return new SessionDirectories(owned);
        } catch (IOException | RuntimeException e) {
            owned.close();
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
            OwnedDirectory.deleteTree(dir);
            throw new SandboxException("cannot create a session directory under " + root + ": " + e.getMessage(),
                    "make java.io.tmpdir (" + root.getParent() + ") writable and check its free space", e);
        }
    }

    /** Removes every session directory left and the root itself. */
    @Override
    public void close() {
        owned.close();
    }
}
