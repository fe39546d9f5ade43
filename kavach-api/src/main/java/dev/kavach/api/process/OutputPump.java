package dev.kavach.api.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import dev.kavach.api.io.BoundedCapture;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Drains one output pipe to its end: keeps what fits the limit in a {@link BoundedCapture}, forwards that
 * to the listener as it arrives, and reads (and counts) the rest without keeping it, so the command never
 * blocks on a full pipe and memory stays bounded. Run it on a thread of its own; a listener that throws
 * is remembered and not called again, while the draining goes on.
 */
public final class OutputPump implements Runnable {
    private static final int BUFFER = 64 * 1024;

    private final StdStream stream;
    private final InputStream in;
    private final BoundedCapture capture;
    private final OutputListener listener;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile RuntimeException listenerFailure;

    public OutputPump(StdStream stream, InputStream in, BoundedCapture capture, OutputListener listener) {
        this.stream = requireNonNull(stream, "stream is null");
        this.in = requireNonNull(in, "in is null");
        this.capture = requireNonNull(capture, "capture is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    @Override
    public void run() {
        byte[] buffer = new byte[BUFFER];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                int within = capture.accept(buffer, 0, n);
                if (within > 0 && listenerFailure == null) {
                    try {
                        listener.onOutput(stream, buffer, 0, within);
                    } catch (RuntimeException e) {
                        // A broken listener must not stop the draining, or the command would block.
                        listenerFailure = e;
                    }
                }
            }
        } catch (IOException e) {
            // The pipe was closed under us (abandoned after the tree was killed): what was read counts.
        } finally {
            done.countDown();
        }
    }

    /**
     * The {@code output} enforcement note for pumps bounded at {@code limitBytes} per stream, as a result
     * reports it.
     *
     * @param limitBytes bytes kept per stream, 0 for no limit
     */
    public static Enforcement enforcement(long limitBytes) {
        return Enforcement.of(Enforcement.OUTPUT, limitBytes == 0 ? "unbounded (policy output limit 0)"
                : "host-side bounded capture, " + limitBytes + " bytes kept per stream; the rest drained, counted and dropped");
    }

    /** Waits for the end of the stream; false if it did not come within {@code timeout}. */
    public boolean await(Duration timeout) throws InterruptedException {
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The first exception the listener threw, or {@code null}. */
    public RuntimeException listenerFailure() {
        return listenerFailure;
    }

    /** The capture this pump fills. */
    public BoundedCapture capture() {
        return capture;
    }
}
