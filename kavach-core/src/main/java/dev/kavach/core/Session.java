package dev.kavach.core;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileContent;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.Health;
import dev.kavach.api.KavachException;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPaths;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.SandboxStateException;
import dev.kavach.core.discovery.PluginCall;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * A sandbox that keeps its working directory (and, for a VM backend, its guest) across execs until it is
 * closed, with files moved in and out of that directory. Made by {@link Sandbox#openSession} or {@link
 * Kavach#openSession}; close it, best with try-with-resources:
 *
 * <pre>{@code
 * try (Kavach kavach = Kavach.create(KavachOptions.fromEnvironment());
 *      Session session = kavach.openSession()) {
 *     session.put("in.txt", "hello".getBytes(StandardCharsets.UTF_8));
 *     session.exec(ExecRequest.of("sh", "-c", "tr a-z A-Z < in.txt > out.txt"));
 *     String out = new String(session.getBytes("out.txt"), StandardCharsets.UTF_8);
 * }
 * }</pre>
 *
 * <p>Paths are relative to the session's working directory ({@link SandboxPaths}); the backend refuses one
 * that reaches outside it through a symbolic link, a device or a FIFO. Every exec runs under the session's
 * policy: a request without a policy of its own ({@link ExecRequest#inheritsPolicy()}) gets it; one with its
 * own may change only its timeout and output limit, and one whose other policy fields differ is refused (the
 * sandbox they describe already exists). Every transfer is bounded by the
 * policy's {@link SandboxPolicy#transferLimitBytes() transfer limit}. Like {@link Sandbox}, every call into
 * the backend goes through its {@link PluginCall}; a closed session refuses every call with a {@link
 * SandboxStateException}. Methods may be called from several threads.
 */
public final class Session implements AutoCloseable {
    private final String backendId;
    private final SandboxSession session;
    private final SandboxPolicy policy;
    private final PluginCall guard;
    private final Consumer<Session> onClose;
    private final Object lock = new Object();
    private boolean closed;

    Session(String backendId, SandboxSession session, SandboxPolicy policy, PluginCall guard, Consumer<Session> onClose) {
        this.backendId = requireNonNull(backendId, "backendId is null");
        this.session = requireNonNull(session, "session is null");
        this.policy = requireNonNull(policy, "policy is null");
        this.guard = requireNonNull(guard, "guard is null");
        this.onClose = requireNonNull(onClose, "onClose is null");
    }

    public String backendId() {
        return backendId;
    }

    /** The policy the session was opened with; build requests with it ({@code request.withPolicy(session.policy())}). */
    public SandboxPolicy policy() {
        return policy;
    }

    public boolean isOpen() {
        synchronized (lock) {
            return !closed;
        }
    }

    /** Runs one command in the session's working directory; its output is in the result only. */
    public ExecResult exec(ExecRequest request) {
        return exec(request, OutputListener.NONE);
    }

    /** Runs one command in the session's working directory and streams its output to {@code listener} as it arrives. */
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        ExecRequest resolved = Sandbox.underPolicy(request, policy);
        SessionPolicies.requireSandboxWideEqual(policy, resolved.policy(), backendId);
        requireOpen("exec");
        return guard.callNonNull(what("exec"), () -> session.exec(resolved, listener));
    }

    /** Writes {@code file}, replacing what was there; parent directories are created. */
    public void put(FileInput file) {
        requireNonNull(file, "file is null");
        requireOpen("put");
        guard.run(what("put"), () -> session.put(file));
    }

    /** Writes {@code bytes} to {@code path} with mode {@code 0644}. */
    public void put(String path, byte[] bytes) {
        put(FileInput.of(path, bytes));
    }

    /** Writes {@code bytes} to {@code path} with permission bits {@code mode} (e.g. {@code 0755}). */
    public void put(String path, byte[] bytes, int mode) {
        put(FileInput.of(path, bytes).withMode(mode));
    }

    /** Copies the host file {@code source} to {@code path} with mode {@code 0644}. */
    public void put(String path, Path source) {
        put(FileInput.of(path, FileContent.of(requireNonNull(source, "source is null"))));
    }

    /** Copies the host file {@code source} to {@code path} with permission bits {@code mode}. */
    public void put(String path, Path source, int mode) {
        put(FileInput.of(path, FileContent.of(requireNonNull(source, "source is null"))).withMode(mode));
    }

    /** Copies {@code in} to its end into {@code path} with mode {@code 0644}; the stream is read here and closed by the caller. */
    public void put(String path, InputStream in) {
        put(FileInput.of(path, FileContent.of(requireNonNull(in, "in is null"))));
    }

    /** Copies {@code in} to its end into {@code path} with permission bits {@code mode}. */
    public void put(String path, InputStream in, int mode) {
        put(FileInput.of(path, FileContent.of(requireNonNull(in, "in is null"))).withMode(mode));
    }

    /**
     * Opens the regular file at {@code path} for reading; close the stream. A file larger than the transfer
     * limit is refused before any byte is read.
     */
    public InputStream get(String path) {
        String normal = SandboxPaths.normalizeFile(path, "file to get");
        requireOpen("get");
        InputStream in = guard.callNonNull(what("get"), () -> session.get(normal));
        return new GuardedInputStream(in, guard, what("get") + " (reading '" + normal + "')");
    }

    /** All bytes of the regular file at {@code path}. */
    public byte[] getBytes(String path) {
        try (InputStream in = get(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxException("reading '" + path + "' from the session of backend '" + backendId + "' failed: " + e.getMessage(),
                    "check that the file still exists and is not being replaced while it is read", e);
        }
    }

    /**
     * Copies the regular file at {@code path} to the host file {@code target}, replacing it; written to a
     * temporary file beside {@code target} first, so that a failed copy leaves {@code target} as it was.
     */
    public void get(String path, Path target) {
        requireNonNull(target, "target is null");
        Path absolute = target.toAbsolutePath();
        Path temp = null;
        try (InputStream in = get(path)) {
            temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".part");
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
        } catch (IOException e) {
            throw new SandboxException("copying '" + path + "' from the session of backend '" + backendId + "' to " + target + " failed: "
                    + e.getMessage(), "check that " + absolute.getParent() + " exists and is writable", e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the copy already failed with its own reason
                }
            }
        }
    }

    /** The entries of directory {@code directory} ({@code ""} for the working directory), sorted by name. */
    public List<FileEntry> list(String directory) {
        String normal = SandboxPaths.normalize(directory, "directory to list");
        requireOpen("list");
        return List.copyOf(guard.callNonNull(what("list"), () -> session.list(normal)));
    }

    /**
     * The session's hardware evidence so far (under {@code sev}: every exec, each attested with a fresh nonce,
     * and every file transfer, in order); empty for a backend without attestation. Still readable after close.
     */
    public java.util.Optional<dev.kavach.api.Attestation> attestation() {
        return guard.callNonNull(what("attestation"), session::attestation);
    }

    /** Whether the session can still take work; a closed one says so. */
    public Health health() {
        synchronized (lock) {
            if (closed) {
                return Health.unhealthy("the session is closed");
            }
        }
        return guard.callNonNull(what("health"), session::health);
    }

    /** Stops whatever still runs in the session and removes its working directory. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            guard.run(what("close"), session::close);
        } finally {
            onClose.accept(this);
        }
    }

    private void requireOpen(String operation) {
        synchronized (lock) {
            if (closed) {
                throw new SandboxStateException("cannot " + operation + " in the session of backend '" + backendId + "': it is closed",
                        "open a new session with Kavach.openSession or Sandbox.openSession");
            }
        }
    }

    private String what(String operation) {
        return operation + " in a session of backend '" + backendId + "'";
    }

    /** The backend's stream, read through the guard: an unexpected exception from plugin code is that plugin's bug. */
    private static final class GuardedInputStream extends InputStream {
        private final InputStream in;
        private final PluginCall guard;
        private final String what;

        GuardedInputStream(InputStream in, PluginCall guard, String what) {
            this.in = in;
            this.guard = guard;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            return io(in::read);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return io(() -> in.read(b, off, len));
        }

        @Override
        public int available() throws IOException {
            return io(in::available);
        }

        @Override
        public void close() throws IOException {
            io(() -> {
                in.close();
                return 0;
            });
        }

        /** Runs {@code call} in the guard; its IOException passes through unchanged (the guard would take it for a bug). */
        private int io(IoCall call) throws IOException {
            IOException[] failure = new IOException[1];
            int result;
            try {
                result = guard.call(what, () -> {
                    try {
                        return call.run();
                    } catch (IOException e) {
                        failure[0] = e;
                        return -1;
                    }
                });
            } catch (KavachException e) {
                throw new IOException(e.getMessage(), e);
            }
            if (failure[0] != null) {
                throw failure[0];
            }
            return result;
        }

        @FunctionalInterface
        private interface IoCall {
            int run() throws IOException;
        }
    }
}
