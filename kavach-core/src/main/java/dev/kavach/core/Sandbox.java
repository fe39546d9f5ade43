package dev.kavach.core;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.KavachException;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxStateException;
import dev.kavach.core.discovery.PluginBugException;
import dev.kavach.core.discovery.PluginCall;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A live sandbox from one backend, driven through {@code CREATED -> STARTED -> exec* -> CLOSED}.
 * {@link Kavach#open} returns it started. Invalid transitions throw {@link SandboxStateException};
 * {@link #close()} releases the backend exactly once, also when start failed. {@code exec} may run on
 * several threads at once. Every call into the backend goes through its {@link PluginCall}: what the
 * backend throws on purpose (a {@link KavachException}) reaches the caller unchanged, anything else is a
 * {@link PluginBugException} naming the plugin.
 *
 * <p>A request that sets no policy of its own ({@link ExecRequest#inheritsPolicy()}) runs under the policy
 * Kavach was configured with ({@link Kavach#policy()}), keeping its own timeout if it set one.
 *
 * <p>{@code exec} blocks until the command ends. It waits on the command's process and pipes (or its VM
 * or pod), which parks a virtual thread without holding its carrier, so one virtual thread per exec scales
 * to thousands of concurrent commands; {@link #execAsync} does exactly that and returns a future.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    private final String backendId;
    private final SandboxBackend backend;
    private final PluginCall guard;
    private final SandboxPolicy configuredPolicy;
    private final Consumer<Sandbox> onClose;
    private final Object lock = new Object();
    private SandboxState state = SandboxState.CREATED;
    private String failure = "";

    Sandbox(String backendId, SandboxBackend backend, PluginCall guard, SandboxPolicy configuredPolicy, Consumer<Sandbox> onClose) {
        this.backendId = requireNonNull(backendId, "backendId is null");
        this.backend = requireNonNull(backend, "backend is null");
        this.guard = requireNonNull(guard, "guard is null");
        this.configuredPolicy = requireNonNull(configuredPolicy, "configuredPolicy is null");
        this.onClose = requireNonNull(onClose, "onClose is null");
    }

    public String backendId() {
        return backendId;
    }

    public SandboxState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** Starts the backend. On failure the sandbox becomes {@link SandboxState#FAILED} and is released. */
    void start() {
        synchronized (lock) {
            if (state != SandboxState.CREATED) {
                throw new SandboxStateException("sandbox of backend '" + backendId + "' cannot start: it is " + describeState(),
                        "open a new sandbox with Kavach.open");
            }
            try {
                long started = System.nanoTime();
                guard.run(what("start"), backend::start);
                state = SandboxState.STARTED;
                LOG.debug("started a sandbox of backend '{}' in {} ms", backendId, (System.nanoTime() - started) / 1_000_000);
            } catch (RuntimeException | Error e) {
                state = SandboxState.FAILED;
                failure = String.valueOf((e instanceof PluginBugException && e.getCause() != null ? e.getCause() : e).getMessage());
                closeBackend(e);
                throw e;
            }
        }
    }

    /** Runs one command; the sandbox must be started. */
    public ExecResult exec(ExecRequest request) {
        requireNonNull(request, "request is null");
        requireStarted("exec");
        ExecRequest resolved = underPolicy(request, configuredPolicy);
        return timed(resolved, () -> guard.callNonNull(what("exec"), () -> backend.exec(resolved)));
    }

    /** Runs one command and streams its output to {@code listener} as it arrives. */
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        requireStarted("exec");
        ExecRequest resolved = underPolicy(request, configuredPolicy);
        return timed(resolved, () -> guard.callNonNull(what("exec"), () -> backend.exec(resolved, listener)));
    }

    /**
     * Runs one command on a virtual thread of its own and completes the future with its result, or
     * exceptionally with what {@link #exec(ExecRequest)} would have thrown (a closed sandbox's
     * {@link SandboxStateException} included). Cancelling the future does not stop the command: its timeout
     * does, and so does closing the sandbox.
     */
    public CompletableFuture<ExecResult> execAsync(ExecRequest request) {
        requireNonNull(request, "request is null");
        CompletableFuture<ExecResult> future = new CompletableFuture<>();
        Thread.ofVirtual().name("kavach-exec-" + backendId).start(() -> {
            try {
                future.complete(exec(request));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
        return future;
    }

    /** {@code request} as the backend runs it: under {@code configured} unless it has a policy of its own. */
    static ExecRequest underPolicy(ExecRequest request, SandboxPolicy configured) {
        return request.inheritsPolicy() ? request.withPolicy(configured) : request;
    }

    private ExecResult timed(ExecRequest request, java.util.function.Supplier<ExecResult> exec) {
        if (!LOG.isDebugEnabled()) {
            return exec.get();
        }
        long started = System.nanoTime();
        LOG.debug("exec in backend '{}': {}", backendId, request);
        ExecResult result = exec.get();
        LOG.debug("exec in backend '{}' ended: {} exit {} in {} ms", backendId, result.outcome(), result.exitCode(),
                (System.nanoTime() - started) / 1_000_000);
        return result;
    }

    /** The host command line the backend would run for {@code request}, for dry runs. */
    public Optional<List<String>> commandLine(ExecRequest request) {
        requireNonNull(request, "request is null");
        synchronized (lock) {
            if (state == SandboxState.CLOSED || state == SandboxState.FAILED) {
                throw stateException("commandLine");
            }
        }
        ExecRequest resolved = underPolicy(request, configuredPolicy);
        return guard.callNonNull(what("commandLine"), () -> backend.commandLine(resolved));
    }

    /** Releases the backend; idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == SandboxState.CLOSED) {
                return;
            }
            boolean released = state == SandboxState.FAILED; // start failure already released the backend
            state = SandboxState.CLOSED;
            if (!released) {
                closeBackend(null);
                LOG.debug("closed the sandbox of backend '{}': the backend released what it held", backendId);
            }
        }
        onClose.accept(this);
    }

    private void requireStarted(String operation) {
        synchronized (lock) {
            if (state != SandboxState.STARTED) {
                throw stateException(operation);
            }
        }
    }

    private SandboxStateException stateException(String operation) {
        String fix = switch (state) {
            case CREATED -> "start the sandbox first: Kavach.open returns a started sandbox";
            case FAILED, CLOSED -> "open a new sandbox with Kavach.open";
            case STARTED -> "";
        };
        return new SandboxStateException("cannot " + operation + " in sandbox of backend '" + backendId + "': it is " + describeState(), fix);
    }

    private String describeState() {
        return switch (state) {
            case CREATED -> "created but not started";
            case STARTED -> "started";
            case CLOSED -> "closed";
            case FAILED -> "failed to start (" + failure + ")";
        };
    }

    private void closeBackend(Throwable primary) {
        try {
            guard.run(what("close"), backend::close);
        } catch (KavachException e) {
            if (primary == null) {
                throw e;
            }
            primary.addSuppressed(e);
        }
    }

    private String what(String operation) {
        return operation + " of backend '" + backendId + "'";
    }
}
