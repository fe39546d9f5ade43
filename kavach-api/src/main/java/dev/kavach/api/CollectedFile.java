package dev.kavach.api;

import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * A file collected from the working directory after an exec, by one of {@link ExecRequest#collect()}'s globs.
 * Only regular files are collected; symbolic links are never followed.
 *
 * @param path    relative to the working directory
 * @param content its bytes (all of them: a transfer over the limit fails instead of truncating)
 * @param mode    its permission bits
 */
public record CollectedFile(String path, byte[] content, int mode) {
    public CollectedFile {
        path = SandboxPaths.normalizeFile(path, "collected file path");
        content = requireNonNull(content, "content is null").clone();
    }

    /** A copy of the bytes. */
    @Override
    public byte[] content() {
        return content.clone();
    }

    public int size() {
        return content.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CollectedFile other && path.equals(other.path) && mode == other.mode && Arrays.equals(content, other.content);
    }

    @Override
    public int hashCode() {
        return path.hashCode() * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
        return "CollectedFile[" + path + ", " + content.length + " bytes, mode " + Integer.toOctalString(mode) + "]";
    }
}
