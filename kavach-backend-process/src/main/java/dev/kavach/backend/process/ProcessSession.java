package dev.kavach.backend.process;

import dev.kavach.api.process.OwnedDirectory;
import dev.kavach.api.CollectedFile;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.Health;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.TransferLimitExceededException;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * A process-backend session: a host directory of its own, bound as the writable working directory of each
 * exec (under {@code strict} the only writable place besides the sandbox's private tmpfs directories), and
 * a sandbox uid held for its whole life when Kavach is root. Every process of an exec is gone when the exec
 * returns (its PID namespace ends with it), and the session runs one operation at a time: so no command
 * runs while {@link ConfinedFiles} checks and uses a path, and a link or FIFO the command left is seen as
 * what it is. Closing stops a running exec, removes the directory (whatever the command did to its
 * permissions) and gives the uid back.
 */
final class ProcessSession implements SandboxSession {
    private final ProcessSandboxBackend backend;
    private final SandboxPolicy policy;
    private final ConfinedFiles files;
    private final RunAs identity;
    private final SandboxIds.Lease lease;
    private final java.util.function.Consumer<ProcessSession> onClose;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ProcessSession(ProcessSandboxBackend backend, SandboxPolicy policy, ConfinedFiles files, RunAs identity, SandboxIds.Lease lease,
                   java.util.function.Consumer<ProcessSession> onClose) {
        this.backend = requireNonNull(backend, "backend is null");
        this.policy = requireNonNull(policy, "policy is null");
        this.files = requireNonNull(files, "files is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.lease = lease;
        this.onClose = requireNonNull(onClose, "onClose is null");
    }

    /** The session's directory on the host. */
    Path directory() {
        return files.root();
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        lock.lock();
        try {
            requireOpen("exec");
            Path chdir = chdir(request.workdir());
            place(request.files());
            ExecResult result = backend.run(request, listener, new ProcessSandboxBackend.SessionBinding(files.root(), chdir, identity, this::started,
                    () -> closed));
            running.clear();
            // Collected also after a failure or a timeout: every process of the exec is gone by now.
            List<CollectedFile> collected = FileCollector.collect(files.root(), request.collect(), policy.transferLimitBytes());
            return collected.isEmpty() ? result : result.withFiles(collected);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void put(FileInput file) {
        requireNonNull(file, "file is null");
        lock.lock();
        try {
            requireOpen("put");
            files.write(file, policy.transferLimitBytes());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public InputStream get(String path) {
        lock.lock();
        try {
            requireOpen("get");
            // Opened while no command runs; what the stream reads is that regular file, whatever happens to its name later.
            return files.read(path, policy.transferLimitBytes());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<FileEntry> list(String directory) {
        lock.lock();
        try {
            requireOpen("list");
            return files.list(directory);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Health health() {
        return closed ? Health.unhealthy("the session is closed") : Health.ok();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopRunning(); // an exec in progress returns as killed, and releases the lock
        lock.lock();
        try {
            if (identity.perSandbox()) {
                ProcessSandboxBackend.killAllOf(identity.uid()); // nothing of the uid may outlive the session that holds it
            }
            boolean removed = OwnedDirectory.deleteTree(files.root());
            if (lease != null) {
                lease.close();
            }
            if (!removed) {
                throw new SandboxException("the session directory " + files.root() + " could not be removed completely",
                        "remove it by hand; it is removed at the latest when a later Kavach starts after this one ended");
            }
        } finally {
            lock.unlock();
            onClose.accept(this);
        }
    }

    /** The files placed before the command, their bytes together bounded by the transfer limit. */
    private void place(List<FileInput> inputs) {
        long limit = policy.transferLimitBytes();
        long known = 0;
        for (FileInput input : inputs) {
            known += input.content().knownLength().orElse(0);
        }
        if (known > limit) {
            throw new TransferLimitExceededException("the files placed before the exec", known, limit);
        }
        long used = 0;
        for (FileInput input : inputs) {
            used += files.write(input, limit, "the files placed before the exec", used);
        }
    }

    /** Where the command starts: the session directory, or a directory inside it that {@code workdir} names. */
    private Path chdir(String workdir) {
        if (workdir == null) {
            return files.root();
        }
        if (workdir.startsWith("/")) {
            throw new SandboxException("workdir " + workdir + " is absolute, but a session's commands run in its own directory",
                    "give a directory relative to the session's working directory, or omit workdir");
        }
        return files.directory(workdir, false);
    }

    /** Tracks a launched process; one launched while the session was being closed is stopped at once. */
    private void started(Process process) {
        running.add(process);
        if (closed) {
            stopRunning();
        }
    }

    private void stopRunning() {
        for (Process process : List.copyOf(running)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        // What else runs as the session's uid is killed by close once the exec returned (one scan of the host's processes).
    }

    private void requireOpen(String operation) {
        if (closed) {
            throw new SandboxStateException("cannot " + operation + ": the process session is closed", "open a new session");
        }
    }
}
