package dev.kavach.backend.process;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import dev.kavach.api.StdinSource;
import dev.kavach.api.StreamOutput;
import dev.kavach.api.io.BoundedCapture;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Runs one host command line to its end: feeds stdin and closes it, drains stdout and stderr on their own
 * threads into bounded captures, enforces the wall-clock timeout by killing the whole tree, and kills
 * whatever the command left behind when it exits. Knows nothing of sandboxes: the tree is killed through
 * the {@link TreeKill} it is given.
 */
final class ProcessExecutor {
    /** Kills the launched process and every descendant; called on timeout and after the process exits. */
    @FunctionalInterface
    interface TreeKill {
        void kill(Process process);
    }

    /** Wraps the spawn, e.g. to move the spawning thread into the exec's cgroup and back. */
    @FunctionalInterface
    interface SpawnScope {
        SpawnScope NONE = () -> () -> { };

        AutoCloseable enter() throws IOException;
    }

    /**
     * @param argv        the host command line, passed to execve as is
     * @param env         the complete environment
     * @param directory   the working directory
     * @param stdin       copied to the command's stdin as it reads (never held whole), which is then closed
     * @param timeout     the wall-clock limit
     * @param outputLimit bytes kept per stream, 0 for no limit
     * @param listener    receives the kept bytes as they arrive
     * @param spawnScope  entered around the spawn
     * @param started     told the process as soon as it exists (so that a closing backend can kill it)
     * @param treeKill    how to kill the whole tree
     * @param drainGrace  how long to wait for the pipes to close once the tree is dead
     */
    record Spec(List<String> argv, Map<String, String> env, Path directory, StdinSource stdin, Duration timeout, long outputLimit,
                OutputListener listener, SpawnScope spawnScope, Consumer<Process> started, TreeKill treeKill, Duration drainGrace) {
        Spec {
            argv = List.copyOf(requireNonNull(argv, "argv is null"));
            env = Map.copyOf(requireNonNull(env, "env is null"));
            requireNonNull(directory, "directory is null");
            requireNonNull(stdin, "stdin is null");
            requireNonNull(timeout, "timeout is null");
            requireNonNull(listener, "listener is null");
            requireNonNull(spawnScope, "spawnScope is null");
            requireNonNull(started, "started is null");
            requireNonNull(treeKill, "treeKill is null");
            requireNonNull(drainGrace, "drainGrace is null");
        }
    }

    /**
     * What happened.
     *
     * @param exitCode       the exit status, 128 + n for signal n
     * @param pipesLeftOpen  the output pipes were still open after the tree was killed and were abandoned
     * @param listenerFailure the first exception the listener threw, if any (output kept draining)
     */
    record Result(int exitCode, StreamOutput stdout, StreamOutput stderr, Duration duration, boolean timedOut,
                  boolean pipesLeftOpen, RuntimeException listenerFailure) {
    }

    private static final AtomicInteger THREADS = new AtomicInteger();
    // Reused daemon threads: a thread start per stream per exec would show in the latency of short commands.
    private static final ExecutorService IO = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "kavach-process-io-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    private ProcessExecutor() {
    }

    /** Runs the spec; {@link IOException} means the launcher itself could not be started. */
    static Result run(Spec spec) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(spec.argv()).directory(spec.directory().toFile());
        Map<String, String> environment = builder.environment();
        environment.clear();
        environment.putAll(spec.env());

        boolean keep = spec.listener().keepInResult();
        BoundedCapture out = new BoundedCapture(spec.outputLimit(), keep);
        BoundedCapture err = new BoundedCapture(spec.outputLimit(), keep);
        long start = System.nanoTime();
        Process process;
        AutoCloseable scope = spec.spawnScope().enter();
        try {
            process = builder.start();
        } finally {
            leave(scope);
        }
        spec.started().accept(process);
        StreamPump outPump = new StreamPump(StdStream.STDOUT, process.getInputStream(), out, spec.listener());
        StreamPump errPump = new StreamPump(StdStream.STDERR, process.getErrorStream(), err, spec.listener());
        IO.execute(outPump);
        IO.execute(errPump);
        feedStdin(process, spec.stdin());

        boolean timedOut;
        try {
            timedOut = !process.waitFor(spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            spec.treeKill().kill(process);
            throw e;
        }
        // On timeout this stops the work; after a normal exit it stops what the command left running.
        spec.treeKill().kill(process);
        if (timedOut) {
            process.waitFor(10, TimeUnit.SECONDS);
        }
        long grace = spec.drainGrace().toNanos();
        boolean drained = outPump.await(grace) & errPump.await(grace);
        long end = System.nanoTime();
        if (!drained) {
            // Something outside the tree holds the pipes: stop reading rather than hang the caller.
            process.getInputStream().close();
            process.getErrorStream().close();
        }
        int exitCode = process.isAlive() ? 137 : process.exitValue();
        RuntimeException listenerFailure = outPump.listenerFailure() != null ? outPump.listenerFailure() : errPump.listenerFailure();
        return new Result(exitCode, output(out, keep), output(err, keep), Duration.ofNanos(end - start), timedOut, !drained, listenerFailure);
    }

    private static void leave(AutoCloseable scope) throws IOException {
        try {
            scope.close();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private static StreamOutput output(BoundedCapture capture, boolean keep) {
        return keep ? capture.toOutput() : new StreamOutput(new byte[0], capture.dropped());
    }

    private static void feedStdin(Process process, StdinSource stdin) throws IOException {
        OutputStream in = process.getOutputStream();
        if (stdin.isEmpty()) {
            in.close();
            return;
        }
        IO.execute(() -> {
            try (in; InputStream source = stdin.open()) {
                // Chunk by chunk, flushed at once: memory stays bounded and an interactive program sees each line.
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = source.read(buffer)) >= 0; ) {
                    in.write(buffer, 0, n);
                    in.flush();
                }
            } catch (IOException | RuntimeException e) {
                // The command exited or closed stdin without reading everything: that is its business.
            }
        });
    }
}
