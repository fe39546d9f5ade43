package dev.kavach.api;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The rules for paths that name files inside a sandbox's working directory, shared by every backend so that
 * they agree on what is valid: relative, {@code /}-separated, no {@code ..}, no NUL, at most 4096 bytes.
 * {@code .} components and repeated slashes are dropped. A backend still confines what the path
 * <em>reaches</em> (a symbolic link, a device, a FIFO): these rules only keep the name itself inside.
 */
public final class SandboxPaths {
    /** The longest path accepted, in characters, as Linux's {@code PATH_MAX}. */
    public static final int MAX_LENGTH = 4096;

    private SandboxPaths() {
    }

    /**
     * The normalised form of {@code path} ({@code "a//./b"} is {@code "a/b"}); {@code ""} names the working
     * directory itself (given as {@code ""} or {@code "."}).
     *
     * @param what what the path is, for the error, e.g. {@code "file to put"}
     * @throws IllegalArgumentException naming the path and the rule it breaks
     */
    public static String normalize(String path, String what) {
        requireNonNull(path, what + " is null");
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + path.replace('\0', '?') + "' contains a NUL byte");
        }
        if (path.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + " is " + path.length() + " characters long, more than " + MAX_LENGTH);
        }
        if (path.startsWith("/")) {
            throw new IllegalArgumentException(what + " '" + path + "' is absolute; give a path relative to the sandbox's working directory");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new IllegalArgumentException(what + " '" + path + "' contains '..'; paths stay inside the sandbox's working directory");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    /**
     * Like {@link #normalize} but for a file: the path must name something below the working directory,
     * not the directory itself.
     */
    public static String normalizeFile(String path, String what) {
        String normal = normalize(path, what);
        if (normal.isEmpty()) {
            throw new IllegalArgumentException(what + " '" + path + "' names the working directory itself; name a file inside it");
        }
        return normal;
    }

    /**
     * Checks a glob for {@link ExecRequest#collect()}: {@link java.nio.file.FileSystem#getPathMatcher glob}
     * syntax matched against paths relative to the working directory ({@code "out/*.txt"}, {@code "**.log"}),
     * never absolute and never with a {@code ..} component.
     *
     * @throws IllegalArgumentException naming the glob and the rule it breaks
     */
    public static String checkGlob(String glob) {
        requireNonNull(glob, "glob is null");
        if (glob.isBlank()) {
            throw new IllegalArgumentException("output glob is empty; give a pattern such as 'out/*.txt'");
        }
        normalize(glob, "output glob");
        return glob;
    }
}
