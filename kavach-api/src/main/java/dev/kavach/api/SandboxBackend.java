package dev.kavach.api;

import java.util.List;
import java.util.Optional;

/**
 * A live sandbox backend made by {@link BackendProvider#create}. The host drives it through
 * {@code start -> exec* -> close} and never calls it after {@code close}. {@code exec} may be called from
 * several threads at once; each call is an independent sandboxed command.
 *
 * <p>Contract: a command that runs and fails is an {@link ExecResult} (non-zero exit, timed out, killed);
 * a sandbox that cannot do its job throws a {@link KavachException} subclass: {@link
 * PolicyNotEnforceableException} before anything starts, {@link SandboxException} when the machinery fails.
 */
public interface SandboxBackend extends AutoCloseable {
    /** Prepares shared resources (e.g. a warm VM, a cgroup parent). Default: nothing to do. */
    default void start() {
    }

    /** Runs one command to its end and returns what happened. */
    ExecResult exec(ExecRequest request);

    /**
     * Runs one command and hands its output to {@code listener} as it arrives. The default runs
     * {@link #exec(ExecRequest)} and delivers the output afterwards; backends should override it.
     */
    default ExecResult exec(ExecRequest request, OutputListener listener) {
        ExecResult result = exec(request);
        byte[] out = result.stdout().bytes();
        byte[] err = result.stderr().bytes();
        if (out.length > 0) {
            listener.onOutput(StdStream.STDOUT, out, 0, out.length);
        }
        if (err.length > 0) {
            listener.onOutput(StdStream.STDERR, err, 0, err.length);
        }
        return result;
    }

    /**
     * The host command line this backend would run for {@code request}, for {@code --dry-run}; empty when
     * the backend runs nothing on the host.
     */
    default Optional<List<String>> commandLine(ExecRequest request) {
        return Optional.empty();
    }

    /** Whether this instance can still take work. */
    default Health health() {
        return Health.ok();
    }

    /** Releases everything: processes, VMs, temporary files. Idempotent; never throws checked exceptions. */
    @Override
    void close();
}
