package dev.kavach.backend.process;

import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPaths;
import dev.kavach.api.TransferLimitExceededException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static java.util.Objects.requireNonNull;

/**
 * File operations confined to one host directory that a sandboxed command may have shaped: every component
 * of a path is looked at with {@code lstat} (never following a link) before it is used, and a symbolic link
 * anywhere in the path, a device, a FIFO, a socket, or a regular file with more than one hard link is
 * refused rather than followed or opened. Opening a FIFO would block the JVM; a link could lead to
 * {@code /etc} or to another sandbox's directory.
 *
 * <p>The checks and the use of a path are not one atomic step: they are safe because the caller runs them
 * only while no command of the directory runs (a session runs its operations one at a time, and every
 * process of an exec is gone when it returns, with its PID namespace). Files are written to a new file beside
 * the target and renamed over it, so that a write never goes through whatever the old name pointed at.
 */
final class ConfinedFiles {
    /** Who owns what is written (the sandbox's uid and gid), or {@code -1} to keep Kavach's own. */
    record Owner(int uid, int gid) {
        static final Owner KAVACH = new Owner(-1, -1);
    }

    private final Path root;
    private final Owner owner;

    /** @param root an existing directory that Kavach made (never a link) */
    ConfinedFiles(Path root, Owner owner) {
        this.root = requireNonNull(root, "root is null");
        this.owner = requireNonNull(owner, "owner is null");
    }

    Path root() {
        return root;
    }

    /**
     * Writes {@code file}, replacing what is there (not through it), creating missing parent directories
     * (0755). Set-id and sticky bits of its mode are dropped: nothing in a sandbox runs with them
     * (no_new_privs), and on the host they would make the file a set-id program of the sandbox's uid.
     *
     * @param limit the most bytes it may hold
     * @throws TransferLimitExceededException when it is longer; nothing is left behind
     */
    long write(FileInput file, long limit) {
        return write(file, limit, null, 0);
    }

    /**
     * Like {@link #write(FileInput, long)} for one of several files that share {@code limit}.
     *
     * @param what   what the limit bounds, for its error; {@code null} for this file alone
     * @param before the bytes of the files before it
     * @return the bytes written
     */
    long write(FileInput file, long limit, String what, long before) {
        String path = SandboxPaths.normalizeFile(file.path(), "file path");
        String bounded = what == null ? "file '" + path + "'" : what;
        Path parent = directory(parentOf(path), true);
        Path target = parent.resolve(nameOf(path));
        lstat(target).ifPresent(existing -> {
            if (existing.isDirectory()) {
                throw refused(path, "is a directory", "remove it first, or put the file under another name");
            }
        });
        long known = file.content().knownLength().orElse(-1);
        if (before + known > limit) {
            throw new TransferLimitExceededException(bounded, before + known, limit);
        }
        Path temp = parent.resolve(".kavach-put-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        boolean done = false;
        long total = 0;
        try {
            try (InputStream in = file.content().open();
                 OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    total += n;
                    if (before + total > limit) {
                        throw new TransferLimitExceededException(bounded, before + total, limit);
                    }
                    out.write(buffer, 0, n);
                }
            }
            Files.setAttribute(temp, "unix:mode", file.mode() & 0777, LinkOption.NOFOLLOW_LINKS);
            chown(temp);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return total;
        } catch (IOException e) {
            throw new SandboxException("cannot write '" + path + "' in " + root + ": " + describe(e), "check the disk and the path", e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the directory goes with the session
                }
            }
        }
    }

    /**
     * Opens a regular file with a single link for reading, refusing it when it is larger than {@code limit};
     * the stream fails rather than go past {@code limit} should the file grow.
     */
    InputStream read(String path, long limit) {
        String normal = SandboxPaths.normalizeFile(path, "file path");
        Path file = directory(parentOf(normal), false).resolve(nameOf(normal));
        PosixFileAttributes attributes = lstat(file).orElseThrow(() -> refused(normal, "does not exist", "check the name with list"));
        requireSingleRegularFile(normal, file, attributes);
        if (attributes.size() > limit) {
            throw new TransferLimitExceededException("file '" + normal + "'", attributes.size(), limit);
        }
        try {
            return new LimitedStream(Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS), "file '" + normal + "'", limit);
        } catch (IOException e) {
            throw new SandboxException("cannot read '" + normal + "' in " + root + ": " + describe(e), "check that the file is readable", e);
        }
    }

    /** The entries of a directory, sorted by name; links are reported as links, never followed. */
    List<FileEntry> list(String path) {
        String normal = SandboxPaths.normalize(path, "directory");
        Path dir = directory(normal, false);
        List<FileEntry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path entry : stream) {
                lstat(entry).ifPresent(attributes -> entries.add(new FileEntry(entry.getFileName().toString(), typeOf(attributes),
                        attributes.isRegularFile() ? attributes.size() : 0, modeOf(entry))));
            }
        } catch (IOException e) {
            throw new SandboxException("cannot list '" + normal + "' in " + root + ": " + describe(e), "check that it is a readable directory", e);
        }
        entries.sort(Comparator.comparing(FileEntry::name));
        return List.copyOf(entries);
    }

    /**
     * The directory {@code path} names below the root, each component checked without following links;
     * missing ones are created (0755, owned by the sandbox) when {@code create}.
     */
    Path directory(String path, boolean create) {
        Path dir = root;
        String walked = "";
        for (String part : SandboxPaths.normalize(path, "directory").split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            walked = walked.isEmpty() ? part : walked + "/" + part;
            Path next = dir.resolve(part);
            var attributes = lstat(next);
            if (attributes.isEmpty() && create) {
                try {
                    Files.createDirectory(next);
                    Files.setAttribute(next, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
                    chown(next);
                } catch (FileAlreadyExistsException e) {
                    // made meanwhile: checked below like any other
                } catch (IOException e) {
                    throw new SandboxException("cannot create directory '" + walked + "' in " + root + ": " + describe(e), "check the disk", e);
                }
                attributes = lstat(next);
            }
            if (attributes.isEmpty()) {
                throw refused(walked, "does not exist", "check the name with list");
            }
            if (attributes.get().isSymbolicLink()) {
                throw refused(walked, "is a symbolic link, which is never followed (it could lead outside the working directory)",
                        "name the real directory inside the working directory");
            }
            if (!attributes.get().isDirectory()) {
                throw refused(walked, "is not a directory", "name a directory");
            }
            dir = next;
        }
        return dir;
    }

    /** Refuses what is not a regular file, and a regular file with several links (one could be a file outside). */
    static void requireSingleRegularFile(String name, Path file, PosixFileAttributes attributes) {
        if (attributes.isSymbolicLink()) {
            throw refused(name, "is a symbolic link, which is never followed (it could lead outside the working directory)",
                    "copy the file itself into the working directory");
        }
        if (!attributes.isRegularFile()) {
            throw refused(name, "is " + kind(attributes) + ", not a regular file", "only regular files can be read");
        }
        Object links = linkCount(file);
        if (links instanceof Integer count && count > 1) {
            throw refused(name, "has " + count + " hard links; one of them could be a file outside the working directory",
                    "copy it (cp, not ln) inside the sandbox and read the copy");
        }
    }

    static java.util.Optional<PosixFileAttributes> lstat(Path path) {
        try {
            return java.util.Optional.of(Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new SandboxException("cannot look at " + path + ": " + describe(e), "check its permissions", e);
        }
    }

    static int modeOf(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Object linkCount(Path path) {
        try {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            return attributes.get("nlink");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static FileEntry.Type typeOf(PosixFileAttributes attributes) {
        if (attributes.isSymbolicLink()) {
            return FileEntry.Type.SYMLINK;
        }
        if (attributes.isDirectory()) {
            return FileEntry.Type.DIRECTORY;
        }
        return attributes.isRegularFile() ? FileEntry.Type.FILE : FileEntry.Type.OTHER;
    }

    private static String kind(PosixFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        return "a device, FIFO or socket";
    }

    private void chown(Path path) throws IOException {
        if (owner.uid() >= 0) {
            Files.setAttribute(path, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static SandboxException refused(String path, String why, String fix) {
        return new SandboxException("'" + path + "' " + why + "; refused", fix);
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** Fails with an IOException instead of delivering byte {@code limit + 1}: a file that grew is never cut silently. */
    static final class LimitedStream extends FilterInputStream {
        private final String what;
        private final long limit;
        private long seen;

        LimitedStream(InputStream in, String what, long limit) {
            super(in);
            this.what = what;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count(skipped);
            return skipped;
        }

        private void count(long n) throws IOException {
            seen += n;
            if (seen > limit) {
                throw new IOException(new TransferLimitExceededException(what, seen, limit).getMessage());
            }
        }
    }
}
