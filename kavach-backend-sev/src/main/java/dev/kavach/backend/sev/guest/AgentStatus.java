package dev.kavach.backend.sev.guest;

import dev.kavach.backend.sev.qemu.ConsoleTail;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What the guest agent reported about one task on its status port, read strictly. The port is written
 * only by the agent (root in the guest; the task runs as an unprivileged user and never holds it), and
 * the agent takes how the task ended from drop-exec's root-only launch report, so nothing here comes from
 * the task. A malformed value is treated as no report at all rather than believed.
 *
 * @param exitCode  the task's exit status, 0..255 ({@code 128 + n} after signal {@code n})
 * @param signal    the signal that ended the task, if one did
 * @param notFound  the program was not found on the task's PATH
 * @param execErrno the errno of a failed execve (not executable, bad interpreter, ...)
 * @param oomKills  processes of the task the guest kernel's OOM killer killed (the task cgroup's {@code oom_kill})
 * @param failure   the agent's own error lines, joined
 */
public record AgentStatus(Optional<Integer> exitCode, Optional<Integer> signal, boolean notFound, Optional<Integer> execErrno,
                          long oomKills, Optional<String> failure) {
    public AgentStatus {
        requireNonNull(exitCode, "exitCode is null");
        requireNonNull(signal, "signal is null");
        requireNonNull(execErrno, "execErrno is null");
        requireNonNull(failure, "failure is null");
    }

    /** Reads the status lines in order; the first line of each kind counts. */
    public static AgentStatus of(List<String> lines) {
        Optional<Integer> exit = Optional.empty();
        Optional<Integer> signal = Optional.empty();
        boolean notFound = false;
        Optional<Integer> errno = Optional.empty();
        long oom = 0;
        StringBuilder errors = new StringBuilder();
        for (String line : lines) {
            int space = line.indexOf(' ');
            String key = space < 0 ? line : line.substring(0, space);
            String value = space < 0 ? "" : line.substring(space + 1).trim();
            switch (key) {
                case "exit" -> exit = exit.or(() -> number(value, 255));
                case "signal" -> signal = signal.or(() -> number(value, 64).filter(n -> n > 0));
                case "notfound" -> notFound = true;
                case "notexec" -> errno = errno.or(() -> number(value, 4095));
                case "oom" -> oom = oom > 0 ? oom : number(value, Integer.MAX_VALUE).orElse(0);
                case "error" -> errors.append(errors.isEmpty() ? "" : "; ").append(ConsoleTail.sanitize(value));
                default -> {
                    // ready, report, report-error: read by their own consumers
                }
            }
        }
        return new AgentStatus(exit, signal, notFound, errno, oom, errors.isEmpty() ? Optional.empty() : Optional.of(errors.toString()));
    }

    private static Optional<Integer> number(String text, int max) {
        if (!text.matches("[0-9]{1,10}")) {
            return Optional.empty();
        }
        long value = Long.parseLong(text);
        return value <= max ? Optional.of((int) value) : Optional.empty();
    }

    /** A few errno values an execve reports, named; others by number. */
    public static String errnoText(int errno) {
        return switch (errno) {
            case 2 -> "no such file or directory (ENOENT; a script's interpreter may be missing)";
            case 8 -> "not an executable format (ENOEXEC)";
            case 13 -> "permission denied (EACCES: not executable by the task user, or a directory)";
            case 7 -> "argument list too long (E2BIG)";
            case 40 -> "too many levels of symbolic links (ELOOP)";
            default -> "errno " + errno;
        };
    }

    /** " (SIGKILL)" for common signals, else empty. */
    public static String signalName(int signal) {
        return switch (signal) {
            case 1 -> " (SIGHUP)";
            case 2 -> " (SIGINT)";
            case 3 -> " (SIGQUIT)";
            case 4 -> " (SIGILL)";
            case 6 -> " (SIGABRT)";
            case 7 -> " (SIGBUS)";
            case 8 -> " (SIGFPE)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 13 -> " (SIGPIPE)";
            case 15 -> " (SIGTERM)";
            case 24 -> " (SIGXCPU: CPU time limit)";
            case 25 -> " (SIGXFSZ: the policy's file size limit)";
            case 31 -> " (SIGSYS)";
            default -> "";
        };
    }
}
