package dev.kavach.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.kavach.core.Sandbox;

import static java.util.Objects.requireNonNull;

/**
 * While {@code kavach run} runs a command: SIGINT, SIGTERM or SIGHUP start the JVM's shutdown, and this hook
 * then closes the sandbox (which stops the command's whole process tree or VM), waits for the run to finish its
 * own cleanup (cgroup, scratch directory, output spool), and lets the JVM exit with 128 + the signal's number,
 * as {@code timeout} and {@code docker run} do. Removed again when the command ends normally.
 */
final class SignalStop implements AutoCloseable {
    /** How long the hook waits for the interrupted run to clean up before the JVM exits regardless. */
    private static final long CLEANUP_WAIT_SECONDS = 10;

    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    private SignalStop(Sandbox sandbox, OutputSpool spool) {
        this.hook = new Thread(() -> {
            sandbox.close();
            try {
                done.await(CLEANUP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (spool != null) {
                spool.close();
            }
        }, "kavach-signal-stop");
    }

    static SignalStop install(Sandbox sandbox, OutputSpool spool) {
        SignalStop stop = new SignalStop(requireNonNull(sandbox, "sandbox is null"), spool);
        Runtime.getRuntime().addShutdownHook(stop.hook);
        return stop;
    }

    @Override
    public void close() {
        done.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook runs (or ran) and waits for this run's cleanup.
        }
    }
}
