package dev.kavach.core;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.KavachException;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxStateException;
import dev.kavach.core.discovery.PluginBugException;
import dev.kavach.core.discovery.PluginCall;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * A live sandbox from one backend, driven through {@code CREATED -> STARTED -> exec* -> CLOSED}.
 * {@link Kavach#open} returns it started. Invalid transitions throw {@link SandboxStateException};
 * {@link #close()} releases the backend exactly once, also when start failed. {@code exec} may run on
 * several threads at once. Every call into the backend goes through its {@link PluginCall}: what the
 * backend throws on purpose (a {@link KavachException}) reaches the caller unchanged, anything else is a
 * {@link PluginBugException} naming the plugin.
 */
public final class Sandbox implements AutoCloseable {
    private final String backendId;
    private final SandboxBackend backend;
    private final PluginCall guard;
    private final Consumer<Sandbox> onClose;
    private final Object lock = new Object();
    private SandboxState state = SandboxState.CREATED;
    private String failure = "";

    Sandbox(String backendId, SandboxBackend backend, PluginCall guard, Consumer<Sandbox> onClose) {
        this.backendId = requireNonNull(backendId, "backendId is null");
        this.backend = requireNonNull(backend, "backend is null");
        this.guard = requireNonNull(guard, "guard is null");
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
                guard.run(what("start"), backend::start);
                state = SandboxState.STARTED;
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
        return guard.callNonNull(what("exec"), () -> backend.exec(request));
    }

    /** Runs one command and streams its output to {@code listener} as it arrives. */
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        requireStarted("exec");
        return guard.callNonNull(what("exec"), () -> backend.exec(request, listener));
    }

    /** The host command line the backend would run for {@code request}, for dry runs. */
    public Optional<List<String>> commandLine(ExecRequest request) {
        requireNonNull(request, "request is null");
        synchronized (lock) {
            if (state == SandboxState.CLOSED || state == SandboxState.FAILED) {
                throw stateException("commandLine");
            }
        }
        return guard.callNonNull(what("commandLine"), () -> backend.commandLine(request));
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
