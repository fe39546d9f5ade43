package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * Removes a directory tree that a sandboxed command shaped: links are removed, never followed, and a
 * directory the command made unreadable or unwritable ({@code chmod 000}, {@code chmod -w}) is given back
 * its owner's permissions first, so that a non-root Kavach can still empty it.
 */
final class TreeRemoval {
    private TreeRemoval() {
    }

    /** Removes {@code root} and everything below; returns whether nothing is left. */
    static boolean remove(Path root) {
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
