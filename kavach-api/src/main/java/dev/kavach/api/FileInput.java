package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/**
 * A file placed in the working directory before a command runs ({@link ExecRequest#files()}), or put into a
 * session. Parent directories are created as needed (mode {@code 0755}).
 *
 * @param path    where, relative to the working directory; normalised by {@link SandboxPaths#normalizeFile}
 * @param content its bytes
 * @param mode    its permission bits, {@code 0} to {@code 07777}; {@code 0644} by {@link #of}
 */
public record FileInput(String path, FileContent content, int mode) {
    /** The mode of a file given without one: {@code 0644}. */
    public static final int DEFAULT_MODE = 0644;

    public FileInput {
        path = SandboxPaths.normalizeFile(path, "file path");
        requireNonNull(content, "content is null");
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("mode of '" + path + "' must be between 0 and 07777 (octal), got " + Integer.toOctalString(mode));
        }
    }

    /** {@code bytes} at {@code path}, mode {@code 0644}. */
    public static FileInput of(String path, byte[] bytes) {
        return new FileInput(path, FileContent.of(bytes), DEFAULT_MODE);
    }

    /** {@code content} at {@code path}, mode {@code 0644}. */
    public static FileInput of(String path, FileContent content) {
        return new FileInput(path, content, DEFAULT_MODE);
    }

    /** The same file with permission bits {@code value}, e.g. {@code 0755} for a script. */
    public FileInput withMode(int value) {
        return new FileInput(path, content, value);
    }
}
