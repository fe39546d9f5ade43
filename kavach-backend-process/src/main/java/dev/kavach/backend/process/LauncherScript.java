package dev.kavach.backend.process;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Kavach's fixed launcher step, run by a POSIX shell before bubblewrap: it opens Kavach's private status
 * file on descriptor 5 and the bubblewrap argument file on descriptor 4 (and the seccomp program on 3),
 * moves itself into the exec's cgroups (so every later descendant is tracked and limited), lowers rlimits,
 * and then {@code exec}s the rest of its arguments (setpriv when Kavach is root, then bubblewrap).
 *
 * <p>The launcher reports its own failures on the status file, never on stderr: stderr is shared with the
 * command, which could print anything there. The files are opened while the launcher still runs as
 * Kavach's user, so the command (another uid, or behind a private /tmp) can neither read nor write them.
 *
 * <p>The script text is a constant. Everything that varies arrives as separate positional arguments and
 * is only ever expanded in double quotes, so no request data is parsed as shell syntax. This is the
 * argv-only way to hand bubblewrap open file descriptors: Java's {@link ProcessBuilder} closes every
 * descriptor above 2 in the child and cannot pass one itself.
 */
final class LauncherScript {
    /** Exit status of the launcher's own failures (also reported on the status file). */
    static final int ERROR_EXIT = 125;
    /** Prefix of the launcher's own lines in the status file (bubblewrap's are JSON objects). */
    static final String STATUS_PREFIX = "launcher: ";
    static final int SECCOMP_FD = 3;
    static final int ARGS_FD = 4;
    static final int STATUS_FD = 5;

    private static String fail(String what) {
        return "{ echo \"" + STATUS_PREFIX + what + "\" >&" + STATUS_FD + "; exit " + ERROR_EXIT + "; }";
    }

    // A failed redirection of the special built-in exec ends a POSIX shell: then the status file stays empty,
    // which the backend reads as a launcher failure too.
    static final String SCRIPT = String.join("\n",
            "exec " + STATUS_FD + ">\"$1\" " + ARGS_FD + "<\"$2\"",
            "n=$3 f=$4 s=$5 c=$6",
            "shift 6",
            "while [ \"$c\" -gt 0 ]; do",
            // 0 is the writing process itself, in either cgroup version: right in a forked bash child too, where $$ is its parent's.
            "  echo 0 2>/dev/null >\"$1\" || " + fail("cannot join cgroup $1"),
            "  c=$((c - 1))",
            "  shift",
            "done",
            "if [ \"$s\" != - ]; then exec " + SECCOMP_FD + "<\"$s\"; fi",
            "if [ \"$n\" != - ]; then ulimit -n \"$n\" 2>/dev/null || " + fail("cannot set RLIMIT_NOFILE to $n") + "; fi",
            "if [ \"$f\" != - ]; then ulimit -f \"$f\" 2>/dev/null || " + fail("cannot set RLIMIT_FSIZE to $f blocks") + "; fi",
            "exec \"$@\"");

    private LauncherScript() {
    }

    /**
     * The launcher's argv.
     *
     * @param shell          the POSIX shell
     * @param statusFile     Kavach's private status file, opened for writing on fd 5
     * @param argsFile       bubblewrap's NUL-separated options, opened on fd 4
     * @param openFiles      RLIMIT_NOFILE, if limited
     * @param fileSizeBlocks RLIMIT_FSIZE in 512-byte blocks (POSIX {@code ulimit -f} units), if limited
     * @param seccompFile    the BPF program to open on fd 3, or {@code null}
     * @param cgroupProcs    {@code cgroup.procs} files to join
     * @param then           the program to exec and its arguments
     */
    static List<String> argv(String shell, String statusFile, String argsFile, OptionalLong openFiles, OptionalLong fileSizeBlocks,
                             String seccompFile, List<String> cgroupProcs, List<String> then) {
        List<String> argv = new ArrayList<>(12 + cgroupProcs.size() + then.size());
        argv.add(shell);
        argv.add("-c");
        argv.add(SCRIPT);
        argv.add("kavach-launcher");
        argv.add(statusFile);
        argv.add(argsFile);
        argv.add(openFiles.isPresent() ? Long.toString(openFiles.getAsLong()) : "-");
        argv.add(fileSizeBlocks.isPresent() ? Long.toString(fileSizeBlocks.getAsLong()) : "-");
        argv.add(seccompFile == null ? "-" : seccompFile);
        argv.add(Integer.toString(cgroupProcs.size()));
        argv.addAll(cgroupProcs);
        argv.addAll(then);
        return argv;
    }
}
