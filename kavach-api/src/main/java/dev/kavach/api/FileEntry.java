package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/**
 * One entry of a directory listed in a session ({@link SandboxSession#list}). Symbolic links are reported
 * as such, never followed.
 *
 * @param name its name within the directory
 * @param type what it is
 * @param size its size in bytes (a regular file's length; 0 where it has none)
 * @param mode its permission bits
 */
public record FileEntry(String name, Type type, long size, int mode) {
    /** What a directory entry is. */
    public enum Type {
        FILE, DIRECTORY, SYMLINK, OTHER
    }

    public FileEntry {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("entry name '" + name + "' must be non-empty without '/'");
        }
    }
}
