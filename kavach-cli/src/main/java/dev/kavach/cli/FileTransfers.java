package dev.kavach.cli;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.kavach.api.CollectedFile;
import dev.kavach.api.FileContent;
import dev.kavach.api.FileInput;
import dev.kavach.api.KavachException;
import dev.kavach.api.SandboxPaths;

import static java.util.Objects.requireNonNull;

/**
 * {@code kavach run --put LOCAL[:PATH]} and {@code --get GLOB[:DIR]}: the files placed in the command's working
 * directory before it runs, and where the files its globs collect are written afterwards. A collected path
 * comes from the sandbox, so it is written only below its {@code DIR}: its name is already confined by {@link
 * SandboxPaths} (relative, no {@code ..}), and here no existing symbolic link below {@code DIR} is followed
 * either: a file is written to a new name beside the target and renamed over it, like {@code cp} overwriting
 * a regular file, but replacing a link instead of writing through it.
 */
final class FileTransfers {
    /** One {@code --get}: what to collect, and the host directory it lands in. */
    record Get(String glob, Path dir, PathMatcher matcher) {
    }

    private FileTransfers() {
    }

    /**
     * The file of one {@code --put}: {@code LOCAL} (relative to {@code cwd}) to {@code PATH} in the working
     * directory, by default its file name; split at the last {@code ':'}, so a {@code LOCAL} that holds a
     * {@code ':'} needs {@code :PATH}. The local file's permission bits go with it.
     *
     * @throws IllegalArgumentException naming the option value and what is wrong with it
     */
    static FileInput put(String spec, Path cwd) {
        int colon = spec.lastIndexOf(':');
        String local = colon < 0 ? spec : spec.substring(0, colon);
        if (local.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "' names no local file; give --put LOCAL[:PATH]");
        }
        Path file;
        try {
            file = cwd.resolve(local);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + local + "' is not a path (" + e.getReason() + ")");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("'" + local + "' is " + (Files.exists(file) ? "not a regular file" : "no such file")
                    + "; --put copies one regular file (a LOCAL with ':' in its name needs :PATH)");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("'" + local + "' is not readable by this user");
        }
        String path = colon < 0 || colon == spec.length() - 1 ? file.getFileName().toString() : spec.substring(colon + 1);
        int mode;
        try {
            mode = (Integer) Files.getAttribute(file, "unix:mode") & 0777;
        } catch (IOException | UnsupportedOperationException e) {
            mode = FileInput.DEFAULT_MODE;
        }
        return new FileInput(path, FileContent.of(file), mode);
    }

    /** One {@code --get GLOB[:DIR]}, {@code DIR} relative to {@code cwd} and by default {@code cwd}; split at the last {@code ':'}. */
    static Get get(String spec, Path cwd) {
        int colon = spec.lastIndexOf(':');
        String glob = colon < 0 ? spec : spec.substring(0, colon);
        String dir = colon < 0 ? "" : spec.substring(colon + 1);
        SandboxPaths.checkGlob(glob);
        Path target;
        try {
            target = dir.isEmpty() ? cwd : cwd.resolve(dir);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + dir + "' is not a directory path (" + e.getReason() + ")");
        }
        return new Get(glob, target.toAbsolutePath().normalize(), FileSystems.getDefault().getPathMatcher("glob:" + glob));
    }

    /**
     * Writes each collected file below the {@code DIR} of every {@code --get} whose glob matches it, keeping its
     * relative path; returns the host files written.
     */
    static List<Path> write(List<CollectedFile> files, List<Get> gets) {
        List<Path> written = new ArrayList<>();
        for (CollectedFile file : files) {
            for (Get get : gets) {
                if (get.matcher().matches(Path.of(file.path()))) {
                    written.add(writeBelow(get.dir(), file));
                }
            }
        }
        return written;
    }

    private static Path writeBelow(Path dir, CollectedFile file) {
        String path = file.path(); // normalised by CollectedFile's constructor, the only way to make one
        String[] parts = path.split("/");
        Path parent = dir;
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < parts.length - 1; i++) {
                parent = parent.resolve(parts[i]);
                if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(parent);
                }
                PosixFileAttributes attributes = Files.readAttributes(parent, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!attributes.isDirectory()) {
                    throw refuse(file, dir, parent + " is " + (attributes.isSymbolicLink() ? "a symbolic link, which is never followed" : "not a directory"));
                }
            }
            Path target = parent.resolve(parts[parts.length - 1]);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw refuse(file, dir, target + " is a directory");
            }
            Path temp = parent.resolve("." + parts[parts.length - 1] + ".kavach-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
            try {
                Files.write(temp, file.content(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(temp, "unix:mode", file.mode() & 0777, LinkOption.NOFOLLOW_LINKS);
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
            return target;
        } catch (IOException e) {
            throw refuse(file, dir, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static KavachException refuse(CollectedFile file, Path dir, String why) {
        requireNonNull(file, "file is null");
        return new KavachException("cannot write collected file '" + file.path() + "' below " + dir + ": " + why,
                "choose another DIR with --get GLOB:DIR, or remove what is in the way");
    }
}
