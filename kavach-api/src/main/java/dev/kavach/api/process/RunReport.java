package dev.kavach.api.process;

import dev.kavach.api.ExecResult;
import dev.kavach.api.StreamOutput;

import java.time.Duration;

/**
 * What {@link ProcessRunner#run(Launch)} saw: the facts, before a backend classifies them (it may know
 * more, e.g. that a cgroup's OOM killer struck).
 *
 * @param exitCode        the exit status, {@code 128 + n} for signal {@code n}
 * @param stdout          standard output, bounded
 * @param stderr          standard error, bounded
 * @param duration        from the spawn to the end of the output
 * @param timedOut        whether the deadline expired (the tree was then killed)
 * @param pipesLeftOpen   whether the output pipes were still open after the tree was killed and were abandoned
 * @param listenerFailure the first exception the listener threw, or {@code null} (the output kept draining)
 * @param treeKill        what the final tree kill did and what, if anything, survived it
 */
public record RunReport(int exitCode, StreamOutput stdout, StreamOutput stderr, Duration duration, boolean timedOut,
                        boolean pipesLeftOpen, RuntimeException listenerFailure, TreeKillReport treeKill) {

    /**
     * The result these facts make: {@code TIMED_OUT} or {@code COMPLETED}, with details for a timeout,
     * abandoned pipes and a failed listener.
     *
     * @param timeout the limit that applied, for the detail
     */
    public ExecResult.Builder toResult(Duration timeout) {
        ExecResult.Builder result = timedOut ? ExecResult.Builder.timedOut().exitCode(exitCode)
                .detail("timed out after " + describe(timeout) + "; the whole process tree was killed")
                : ExecResult.Builder.completed(exitCode);
        return notes(result);
    }

    /**
     * The result for a command that something other than its deadline stopped (a limit the backend enforces,
     * the sandbox closing): {@code KILLED} with {@code why} first, then the same details as
     * {@link #toResult(Duration)}, and the streams and duration seen.
     *
     * @param why what stopped it, e.g. {@code "memory limit 64 MiB exceeded: the kernel's OOM killer killed a process"}
     */
    public ExecResult.Builder toKilledResult(String why) {
        return notes(ExecResult.Builder.killed(why).exitCode(exitCode));
    }

    private ExecResult.Builder notes(ExecResult.Builder result) {
        if (pipesLeftOpen) {
            result.addDetail("output pipes were still open after the process tree was killed; stopped reading");
        }
        if (listenerFailure != null) {
            result.addDetail("the output listener failed (" + listenerFailure + "); output kept draining into the result only");
        }
        return result.stdout(stdout).stderr(stderr).duration(duration);
    }

    static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }
}
