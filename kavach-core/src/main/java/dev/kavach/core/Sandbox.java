package dev.kavach.core;

import dev.kavach.api.Capability;
import dev.kavach.api.CapabilityNotSupportedException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.KavachException;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.SandboxStateException;
import dev.kavach.core.discovery.PluginBugException;
import dev.kavach.core.discovery.PluginCall;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * {@link PluginBugException} naming the plugin. A request that moves files ({@link ExecRequest#movesFiles()})
 * and a {@linkplain #openSession session} need the backend's {@link Capability}, checked before anything
 * starts; closing the sandbox closes its sessions.
 *
 * <p>A request that sets no policy of its own ({@link ExecRequest#inheritsPolicy()}) runs under the policy
 * Kavach was configured with ({@link Kavach#policy()}), keeping its own timeout if it set one.
 *
 * <p>{@code exec} blocks until the command ends, waiting on the command's process and pipes (or its VM or
 * pod), so one virtual thread per exec runs many commands at once (see {@link Kavach} for what the JDK
 * version changes); {@link #execAsync} does exactly that and returns a future.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    private final String backendId;
    private final SandboxBackend backend;
    private final PluginCall guard;
    private final SandboxPolicy configuredPolicy;
    private final Consumer<Sandbox> onClose;
    private final Set<Capability> capabilities;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private SandboxState state = SandboxState.CREATED;
    private String failure = "";

    Sandbox(String backendId, SandboxBackend backend, PluginCall guard, SandboxPolicy configuredPolicy, Consumer<Sandbox> onClose) {
        this(backendId, backend, guard, configuredPolicy, onClose, Set.of());
    }

    /**
     * @param configuredPolicy Kavach's configured policy: that of requests without their own, and of {@link #openSession()}
     * @param capabilities     what the backend declared in its {@link dev.kavach.api.BackendInfo}
     */
    Sandbox(String backendId, SandboxBackend backend, PluginCall guard, SandboxPolicy configuredPolicy, Consumer<Sandbox> onClose,
            Set<Capability> capabilities) {
        this.backendId = requireNonNull(backendId, "backendId is null");
        this.backend = requireNonNull(backend, "backend is null");
        this.guard = requireNonNull(guard, "guard is null");
        this.configuredPolicy = requireNonNull(configuredPolicy, "configuredPolicy is null");
        this.onClose = requireNonNull(onClose, "onClose is null");
        this.capabilities = Set.copyOf(requireNonNull(capabilities, "capabilities is null"));
    }

    /** Whether the backend declared {@code capability}. */
    public boolean supports(Capability capability) {
        return capabilities.contains(requireNonNull(capability, "capability is null"));
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

    /**
     * Runs one command; the sandbox must be started.
     *
     * @throws CapabilityNotSupportedException before anything starts, when the request moves files and the
     *                                         backend lacks {@link Capability#FILES}
     */
    public ExecResult exec(ExecRequest request) {
        requireNonNull(request, "request is null");
        requireFilesSupported(request);
        requireStarted("exec");
        ExecRequest resolved = underPolicy(request, configuredPolicy);
        return timed(resolved, () -> guard.callNonNull(what("exec"), () -> backend.exec(resolved)));
    }

    /** Runs one command and streams its output to {@code listener} as it arrives. */
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        requireFilesSupported(request);
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

    /** A session under the policy this sandbox was opened with (Kavach's configured one); close it when done. */
    public Session openSession() {
        return openSession(configuredPolicy);
    }

    /**
     * Opens a session of this sandbox's backend under {@code policy}: a working directory (for a VM backend,
     * a guest) kept across execs, with file operations. Close it when done; closing the sandbox closes it too.
     *
     * @throws CapabilityNotSupportedException before anything starts, when the backend lacks {@link Capability#SESSIONS}
     */
    public Session openSession(SandboxPolicy policy) {
        return openSession(policy, false);
    }

    /** @param owning whether closing the session closes this sandbox too ({@link Kavach#openSession}) */
    Session openSession(SandboxPolicy policy, boolean owning) {
        requireNonNull(policy, "policy is null");
        if (!supports(Capability.SESSIONS)) {
            throw new CapabilityNotSupportedException(backendId, Capability.SESSIONS);
        }
        requireStarted("openSession");
        SandboxSession opened = guard.callNonNull(what("openSession"), () -> backend.openSession(policy));
        Session session = new Session(backendId, opened, policy, guard, closed -> {
            sessions.remove(closed);
            if (owning) {
                close();
            }
        });
        sessions.add(session);
        if (state() != SandboxState.STARTED) { // closed meanwhile: close() may have missed it
            session.close();
            throw stateException("openSession");
        }
        return session;
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

    /** Closes its sessions, then releases the backend; idempotent. */
    @Override
    public void close() {
        RuntimeException failure = null;
        synchronized (lock) {
            if (state == SandboxState.CLOSED) {
                return;
            }
            boolean released = state == SandboxState.FAILED; // start failure already released the backend
            state = SandboxState.CLOSED;
            if (!released) {
                failure = closeSessions();
                try {
                    closeBackend(failure);
                } catch (RuntimeException e) {
                    failure = e;
                }
                LOG.debug("closed the sandbox of backend '{}': the backend released what it held", backendId);
            }
        }
        onClose.accept(this);
        if (failure != null) {
            throw failure;
        }
    }

    /** Closes every session still open; the first failure, with the others suppressed, or null. */
    private RuntimeException closeSessions() {
        RuntimeException failure = null;
        for (Session session : List.copyOf(sessions)) {
            try {
                session.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return failure;
    }

    private void requireFilesSupported(ExecRequest request) {
        if (request.movesFiles() && !supports(Capability.FILES)) {
            throw new CapabilityNotSupportedException(backendId, Capability.FILES);
        }
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
