package dev.kavach.backend.process;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Kavach's fixed launcher step, run by a POSIX shell before the sandboxed program: it moves itself into the
 * exec's cgroups (so every later descendant is tracked and limited), lowers rlimits, opens the seccomp
 * program on descriptor 3 for {@code bwrap --seccomp 3}, and then {@code exec}s the rest of its arguments.
 *
 * <p>The script text is a constant. Everything that varies arrives as separate positional arguments and
 * is only ever expanded in double quotes, so no request data is parsed as shell syntax. This is the
 * argv-only way to hand bubblewrap an open file descriptor: Java's {@link ProcessBuilder} closes every
 * descriptor above 2 in the child and cannot pass one itself.
 */
final class LauncherScript {
    /** Marks the launcher's own failures on stderr, before any untrusted program ran. */
    static final String ERROR_PREFIX = "kavach-launcher: ";
    /** Exit status of the launcher's own failures. */
    static final int ERROR_EXIT = 125;

    static final String SCRIPT = String.join("\n",
            "n=$1 f=$2 s=$3 c=$4",
            "shift 4",
            "while [ \"$c\" -gt 0 ]; do",
            "  echo \"$$\" >\"$1\" || { echo \"" + ERROR_PREFIX + "cannot join cgroup $1\" >&2; exit " + ERROR_EXIT + "; }",
            "  c=$((c - 1))",
            "  shift",
            "done",
            "if [ \"$n\" != - ]; then ulimit -n \"$n\" || { echo \"" + ERROR_PREFIX + "cannot set RLIMIT_NOFILE\" >&2; exit " + ERROR_EXIT + "; }; fi",
            "if [ \"$f\" != - ]; then ulimit -f \"$f\" || { echo \"" + ERROR_PREFIX + "cannot set RLIMIT_FSIZE\" >&2; exit " + ERROR_EXIT + "; }; fi",
            "if [ \"$s\" = - ]; then exec \"$@\"; fi",
            "exec \"$@\" 3<\"$s\"");

    private LauncherScript() {
    }

    /**
     * The launcher's argv.
     *
     * @param shell        the POSIX shell
     * @param openFiles    RLIMIT_NOFILE, if limited
     * @param fileSizeBlocks RLIMIT_FSIZE in 512-byte blocks (POSIX {@code ulimit -f} units), if limited
     * @param seccompFile  the BPF program to open on fd 3, or {@code null}
     * @param cgroupProcs  {@code cgroup.procs} files to join
     * @param then         the program to exec and its arguments
     */
    static List<String> argv(String shell, OptionalLong openFiles, OptionalLong fileSizeBlocks, String seccompFile,
                             List<String> cgroupProcs, List<String> then) {
        List<String> argv = new ArrayList<>(12 + cgroupProcs.size() + then.size());
        argv.add(shell);
        argv.add("-c");
        argv.add(SCRIPT);
        argv.add("kavach-launcher");
        argv.add(openFiles.isPresent() ? Long.toString(openFiles.getAsLong()) : "-");
        argv.add(fileSizeBlocks.isPresent() ? Long.toString(fileSizeBlocks.getAsLong()) : "-");
        argv.add(seccompFile == null ? "-" : seccompFile);
        argv.add(Integer.toString(cgroupProcs.size()));
        argv.addAll(cgroupProcs);
        argv.addAll(then);
        return argv;
    }
}
