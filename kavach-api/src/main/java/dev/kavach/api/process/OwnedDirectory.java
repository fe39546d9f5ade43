package dev.kavach.api.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
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

    /**
     * Removes {@code path} by name: only {@code root} itself, whose parent is Kavach's own. Below it, every
     * entry is reached through an open directory ({@link SecureDirectoryStream}, {@code openat} with
     * {@code O_NOFOLLOW}), never by a path name, so a process that still writes in the tree (a sandbox that
     * outlived its Kavach, swept at the next start) cannot swap a directory for a link and turn the removal
     * onto what the link points at.
     */
    private static void removeEntry(Path path) throws IOException {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (attributes.isDirectory()) {
            try (DirectoryStream<Path> entries = openDirectory(path)) {
                if (entries instanceof SecureDirectoryStream<Path> secure) {
                    empty(secure, path);
                } else {
                    emptyByName(entries);
                }
            }
        }
        Files.deleteIfExists(path);
    }

    /** Opens a directory, giving a 000 one back to its owner first (its owner cannot open it otherwise). */
    private static DirectoryStream<Path> openDirectory(Path path) throws IOException {
        try {
            return Files.newDirectoryStream(path);
        } catch (AccessDeniedException e) {
            // Only a non-root owner ever gets here (root opens any directory): it can change only its own files.
            Files.setAttribute(path, "unix:mode", 0700);
            return Files.newDirectoryStream(path);
        }
    }

    /** Empties the open directory {@code dir} (named {@code name}, for the fallback chmod), entry by entry, by name within it. */
    private static void empty(SecureDirectoryStream<Path> dir, Path name) {
        try {
            // fchmod on the open descriptor: a directory the command made read-only becomes writable again.
            dir.getFileAttributeView(PosixFileAttributeView.class).setPermissions(OWNER_ALL);
        } catch (IOException | RuntimeException e) {
            // not ours to change (root removes it anyway): try as it is
        }
        for (Path entry : dir) {
            Path child = entry.getFileName();
            try {
                PosixFileAttributes attributes = dir.getFileAttributeView(child, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .readAttributes();
                if (attributes.isDirectory()) {
                    try (SecureDirectoryStream<Path> sub = openChild(dir, child, name.resolve(child))) {
                        empty(sub, name.resolve(child));
                    }
                    dir.deleteDirectory(child);
                } else {
                    dir.deleteFile(child);
                }
            } catch (IOException | RuntimeException e) {
                // keep removing the rest; the directory's own delete reports what is left
            }
        }
    }

    /** Opens a subdirectory without following a link; a 000 one is given back to its (non-root) owner first. */
    private static SecureDirectoryStream<Path> openChild(SecureDirectoryStream<Path> dir, Path child, Path named) throws IOException {
        try {
            return dir.newDirectoryStream(child, LinkOption.NOFOLLOW_LINKS);
        } catch (AccessDeniedException e) {
            // Root never gets here. The chmod is by name and follows links (Java's no-follow chmod opens the
            // directory, which its owner cannot do at 000), but a non-root owner can only change files it owns,
            // and the open below still refuses a link that was swapped in meanwhile.
            Files.setAttribute(named, "unix:mode", 0700);
            return dir.newDirectoryStream(child, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /** Where the platform has no {@link SecureDirectoryStream}: by name, links never followed. */
    private static void emptyByName(DirectoryStream<Path> entries) {
        for (Path entry : entries) {
            try {
                removeEntry(entry);
            } catch (IOException e) {
                // keep removing the rest; the directory's own delete reports what is left
            }
        }
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ALL = PosixFilePermissions.fromString("rwx------");
}
