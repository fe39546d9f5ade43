package dev.kavach.api;

import java.util.List;
import java.util.Optional;

/**
 * A live sandbox backend made by {@link BackendProvider#create}. The host drives it through
 * {@code start -> exec* -> close} and never calls it after {@code close}. {@code exec} may be called from
 * several threads at once; each call is an independent sandboxed command.
 *
 * <p>A backend implements {@link #exec(ExecRequest, OutputListener)} and {@link #close()}; host-process
 * backends get the hard parts (bounded output, deadline, tree kill) from {@code dev.kavach.api.process}.
 *
 * <p>A backend that declares {@link Capability#FILES} places {@link ExecRequest#files()} in the working
 * directory before the command and returns the files matched by {@link ExecRequest#collect()} in {@link
 * ExecResult#files()}; the host refuses such requests for a backend that does not.
 *
 * <p>Contract: a command that runs and fails is an {@link ExecResult} (non-zero exit, timed out, killed);
 * a sandbox that cannot do its job throws a {@link KavachException} subclass: {@link
 * PolicyNotEnforceableException} before anything starts, {@link SandboxException} when the machinery fails.
 */
public interface SandboxBackend extends AutoCloseable {
    /** Prepares shared resources (e.g. a warm VM, a cgroup parent). Default: nothing to do. */
    default void start() {
    }

    /**
     * Runs one command to its end and returns what happened, with its output in the result only.
     *
     * <p>Backends implement {@link #exec(ExecRequest, OutputListener)} and leave this default, which calls
     * it with {@link OutputListener#NONE}. Backends built against 0.1.0 implement this one instead; their
     * streaming {@code exec} then delivers the output after the command ended.
     */
    default ExecResult exec(ExecRequest request) {
        if (!BackendMethods.implementsStreamingExec(getClass())) {
            throw new AbstractMethodError(getClass().getName() + " implements neither exec(ExecRequest, OutputListener) nor "
                    + "exec(ExecRequest); a backend implements exec(ExecRequest, OutputListener)");
        }
        return exec(request, OutputListener.NONE);
    }

    /**
     * Runs one command and hands its output to {@code listener} as it arrives: the method every backend
     * implements. The listener receives exactly the bytes the result keeps (those within the output limit),
     * unless it {@linkplain OutputListener#keepInResult() keeps nothing in the result}.
     *
     * <p>The default exists for backends built against 0.1.0, which implemented {@link #exec(ExecRequest)}:
     * it runs that and delivers the output afterwards.
     *
     * @throws PolicyNotEnforceableException before anything starts, when the policy asks for more than this
     *                                       backend can enforce here
     * @throws SandboxException              when the sandbox itself fails
     */
    default ExecResult exec(ExecRequest request, OutputListener listener) {
        if (!BackendMethods.implementsBufferedExec(getClass())) {
            throw new AbstractMethodError(getClass().getName() + " implements neither exec(ExecRequest, OutputListener) nor "
                    + "exec(ExecRequest); a backend implements exec(ExecRequest, OutputListener)");
        }
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
     * Opens a {@linkplain SandboxSession session} under {@code policy}, for a backend that declares {@link
     * Capability#SESSIONS}. The host never calls it on a backend that does not; the default refuses.
     *
     * @throws PolicyNotEnforceableException before anything starts, when the policy asks for more than this
     *                                       backend can enforce here
     * @throws SandboxException              when the session cannot be made
     */
    default SandboxSession openSession(SandboxPolicy policy) {
        throw new CapabilityNotSupportedException(getClass().getName(), Capability.SESSIONS);
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
