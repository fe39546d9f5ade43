package dev.kavach.api.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * A private directory (mode 0700) that tells whether its owner still lives, for a backend's scratch and
 * private files. The owning process holds a lock on the directory's {@value #OWNER_LOCK} for as long as it
 * uses the directory, and the kernel drops that lock when the process dies, however it dies ({@code kill -9},
 * a crash). So a later process can remove what a dead one left behind with {@link #sweep}, and never touches
 * the directory of a live one, however pids are reused and whoever else runs Kavach on the host.
 *
 * <p>Named {@code <prefix><pid>-<random>}. Linux and other POSIX systems (the lock is {@code fcntl}'s).
 */
public final class OwnedDirectory implements AutoCloseable {
    /** The lock file inside every owned directory. */
    public static final String OWNER_LOCK = "owner.lock";

    private final Path path;
    private final FileChannel lock;
    private volatile boolean closed;

    private OwnedDirectory(Path path, FileChannel lock) {
        this.path = path;
        this.lock = lock;
    }

    /**
     * Creates a new owned directory in {@code parent} and takes its lock.
     *
     * @param prefix the start of its name, shared by every directory {@link #sweep} is to look at
     */
    public static OwnedDirectory create(Path parent, String prefix) throws IOException {
        requireNonNull(parent, "parent is null");
        requireNonNull(prefix, "prefix is null");
        Path dir = Files.createTempDirectory(parent, prefix + ProcessHandle.current().pid() + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        FileChannel channel = FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            channel.lock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            deleteTree(dir);
            throw e;
        }
        return new OwnedDirectory(dir, channel);
    }

    /** The directory. */
    public Path path() {
        return path;
    }

    /** Deletes the directory and everything in it, then gives up the lock. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        deleteTree(path);
        try {
            lock.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }

    /**
     * Removes every {@code <prefix>*} directory in {@code parent} whose owner died, and returns them. A
     * directory without the lock file (another program's, or one being created) is never touched, nor one of
     * this JVM's own: opening and closing a second descriptor of a file this process has locked would drop
     * its lock.
     */
    public static List<Path> sweep(Path parent, String prefix) {
        requireNonNull(parent, "parent is null");
        requireNonNull(prefix, "prefix is null");
        List<Path> candidates;
        try (Stream<Path> entries = Files.list(parent)) {
            String own = prefix + ProcessHandle.current().pid() + "-";
            candidates = entries.filter(p -> p.getFileName().toString().startsWith(prefix) && !p.getFileName().toString().startsWith(own)
                    && Files.isDirectory(p)).toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        List<Path> removed = new ArrayList<>();
        for (Path dir : candidates) {
            Path lockFile = dir.resolve(OWNER_LOCK);
            if (!Files.isRegularFile(lockFile)) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock held = channel.tryLock();
                if (held == null) {
                    continue; // its owner lives
                }
                if (deleteTree(dir)) {
                    removed.add(dir);
                }
            } catch (IOException | OverlappingFileLockException | SecurityException e) {
                // held by this very JVM, gone meanwhile, or not ours to open: leave it
            }
        }
        return removed;
    }

    /**
     * Removes {@code root} and everything below it, as a sandboxed command may have shaped it: links are
     * removed, never followed, and a directory the command made unreadable or unwritable ({@code chmod 000},
     * {@code chmod -w}) is given back its owner's permissions first, so that an unprivileged host process can
     * still empty it. Best effort: what cannot be removed stays (in a private directory, it harms no one).
     *
     * @return whether nothing of {@code root} is left
     */
    public static boolean deleteTree(Path root) {
        requireNonNull(root, "root is null");
        try {
            removeEntry(root);
            return !Files.exists(root, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void removeEntry(Path path) throws IOException {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (attributes.isDirectory()) {
            try {
                // chmod by name, following links: Java's no-follow chmod opens the directory first, which its
                // owner cannot do once it is 000. The lstat above saw a directory, and nothing of the sandbox runs
                // any more to swap it for a link (its processes are gone before its directory is removed).
                Files.setAttribute(path, "unix:mode", 0700);
            } catch (IOException e) {
                // not ours to change (root removes it anyway): try as it is
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
                for (Path entry : entries) {
                    try {
                        removeEntry(entry);
                    } catch (IOException e) {
                        // keep removing the rest; the directory's own delete reports what is left
                    }
                }
            }
        }
        Files.deleteIfExists(path);
    }
}
