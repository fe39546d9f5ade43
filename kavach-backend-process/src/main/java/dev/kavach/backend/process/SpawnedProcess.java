package dev.kavach.backend.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * One launch of the {@link ForkServer}, seen by the runner as an ordinary {@link Process}: its streams are the
 * launch's FIFOs, its pid and handle those of the forked child (which became setpriv or bubblewrap), its exit
 * status the one its monitor reported.
 */
final class SpawnedProcess extends Process {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "kavach-fork-server-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private final String id;
    private final java.nio.file.Path statusFile;
    private final FifoPool.Triple fifos;
    private final CompletableFuture<ProcessHandle> start = new CompletableFuture<>();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final List<FileChannel> unblockers = new ArrayList<>();
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;

    /**
     * A launch whose request was sent. Its three ends open when first used, each on the thread that uses it (the
     * runner's stdin feeder and output pumps): the monitor's opens then meet them without waiting in turn.
     */
    SpawnedProcess(String id, FifoPool.Triple fifos, java.nio.file.Path statusFile) {
        this.id = id;
        this.statusFile = statusFile;
        this.fifos = fifos;
        this.stdin = FifoEnd.writing(fifos.in());
        this.stdout = FifoEnd.reading(fifos.out());
        this.stderr = FifoEnd.reading(fifos.err());
    }

    String id() {
        return id;
    }

    /** The launcher's status file (its first argument), where a launch that never started says why. */
    java.nio.file.Path statusFile() {
        return statusFile;
    }

    /** Cancels this launch unless its monitor reported the child within {@code withinNanos}. */
    void watch(BiConsumer<SpawnedProcess, String> cancel, long withinNanos) {
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            if (!start.isDone()) {
                cancel.accept(this, "its monitor did not report the child within " + ForkServer.ANSWER_WITHIN.toSeconds() + " s");
            }
        }, withinNanos, TimeUnit.NANOSECONDS);
        start.whenComplete((handle, e) -> watchdog.cancel(false));
    }

    /**
     * The monitor forked the child {@code pid}. Its handle is taken only while it is still the monitor's child (alive or
     * not yet reaped): a pid already reaped and reused names another process, which must never be signalled.
     */
    void started(long pid, long monitorPid) {
        ProcessHandle handle = ProcessHandle.of(pid).filter(h -> h.parent().map(ProcessHandle::pid).orElse(-1L) == monitorPid)
                .map(h -> (ProcessHandle) h).orElseGet(() -> new EndedHandle(pid));
        if (!start.complete(handle)) {
            // Cancelled a moment before: the child must not run unwatched.
            handle.descendants().forEach(ProcessHandle::destroyForcibly);
            handle.destroyForcibly();
            return;
        }
        // Both sides hold every end now: the names are no longer needed.
        fifos.unlink();
    }

    /** Whether this launch was cancelled or lost before it reported its child. */
    boolean failed() {
        return start.isCompletedExceptionally();
    }

    boolean hasStarted() {
        return start.isDone() && !start.isCompletedExceptionally();
    }

    void exited(int status) {
        exit.complete(status);
        closeUnblockers();
    }

    /** The server and every monitor vanished while this launch ran (its tree went with their process group). */
    void lost() {
        if (!start.completeExceptionally(new IOException("the fork server vanished while the launch ran")) && start.isCompletedExceptionally()) {
            return; // cancelled before: that is its end (exit 125, said in its status file)
        }
        // Kavach's own failure, not the command's status: said where the launcher's failures go.
        try {
            java.nio.file.Files.writeString(statusFile, LauncherScript.STATUS_PREFIX + "the fork server vanished while the launch ran"
                    + " (its sandbox went with it)\n", StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the exec still ends, with exit 137
        }
        exit.complete(137);
        closeUnblockers();
    }

    /**
     * Cancels a launch that has not started: it ends at once (as a launcher failure: nothing ran), and every FIFO
     * open this side may be blocked in is met with an open of the other end, kept until the launch ends.
     */
    void fail(String why) {
        if (!start.completeExceptionally(new IOException(why))) {
            return; // it started, or it failed already
        }
        exit.complete(LauncherScript.ERROR_EXIT);
        synchronized (unblockers) {
            for (java.nio.file.Path fifo : List.of(fifos.in(), fifos.out(), fifos.err())) {
                try {
                    unblockers.add(FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE));
                } catch (IOException e) {
                    // not there any more: nothing can wait on it
                }
            }
        }
        fifos.unlink();
        // The opens they met have returned by then; closed, they let this side's readers see the end at once.
        WATCHDOG.schedule(this::closeUnblockers, 1, TimeUnit.SECONDS);
    }

    /** Opens the stdin end on a thread of its own, so that the monitor's first open never waits for input to come. */
    void openStdinSoon() {
        Thread.ofVirtual().name("kavach-fork-server-stdin-" + id).start(() -> {
            try {
                stdin.flush(); // opens it, writes nothing
            } catch (IOException e) {
                // a cancelled launch: the feeder sees the same when it writes
            }
        });
    }

    private void closeUnblockers() {
        synchronized (unblockers) {
            for (FileChannel channel : unblockers) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closing
                }
            }
            unblockers.clear();
        }
    }

    /** The child's handle once reported; an ended one for a launch that never started. */
    private ProcessHandle handle() {
        try {
            return start.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            return new EndedHandle(-1);
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    @Override
    public InputStream getInputStream() {
        return stdout;
    }

    @Override
    public InputStream getErrorStream() {
        return stderr;
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            return 137;
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    @Override
    public int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("launch " + id + " has not exited");
        }
        return exit.join();
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public void destroy() {
        destroyForcibly();
    }

    @Override
    public Process destroyForcibly() {
        if (!start.isDone()) {
            fail("it was stopped before it started"); // never waits for a monitor that may not answer
        }
        handle().destroyForcibly();
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public long pid() {
        return handle().pid();
    }

    @Override
    public ProcessHandle toHandle() {
        return handle();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exit.handle((status, e) -> this);
    }

    @Override
    public String toString() {
        return "fork-server launch " + id + (hasStarted() ? " pid " + handle().pid() : "");
    }

    /** A launched child that had already ended and been reaped when its report was read: nothing to signal, nothing below it. */
    record EndedHandle(long pid) implements ProcessHandle {
        @Override
        public Optional<ProcessHandle> parent() {
            return Optional.empty();
        }

        @Override
        public Stream<ProcessHandle> children() {
            return Stream.empty();
        }

        @Override
        public Stream<ProcessHandle> descendants() {
            return Stream.empty();
        }

        @Override
        public Info info() {
            return NO_INFO;
        }

        @Override
        public CompletableFuture<ProcessHandle> onExit() {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public boolean supportsNormalTermination() {
            return true;
        }

        @Override
        public boolean destroy() {
            return false;
        }

        @Override
        public boolean destroyForcibly() {
            return false;
        }

        @Override
        public boolean isAlive() {
            return false;
        }

        @Override
        public int compareTo(ProcessHandle other) {
            return Long.compare(pid, other.pid());
        }

        private static final Info NO_INFO = new Info() {
            @Override
            public Optional<String> command() {
                return Optional.empty();
            }

            @Override
            public Optional<String> commandLine() {
                return Optional.empty();
            }

            @Override
            public Optional<String[]> arguments() {
                return Optional.empty();
            }

            @Override
            public Optional<java.time.Instant> startInstant() {
                return Optional.empty();
            }

            @Override
            public Optional<java.time.Duration> totalCpuDuration() {
                return Optional.empty();
            }

            @Override
            public Optional<String> user() {
                return Optional.empty();
            }
        };
    }
}
