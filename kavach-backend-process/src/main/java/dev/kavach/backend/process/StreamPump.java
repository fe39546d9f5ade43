package dev.kavach.backend.process;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import dev.kavach.api.io.BoundedCapture;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Drains one output pipe to its end: keeps what fits the limit in a {@link BoundedCapture}, forwards that
 * to the listener as it arrives, and reads (and counts) the rest without keeping it, so the command never
 * blocks on a full pipe and memory stays bounded.
 */
final class StreamPump implements Runnable {
    private static final int BUFFER = 64 * 1024;

    private final StdStream stream;
    private final InputStream in;
    private final BoundedCapture capture;
    private final OutputListener listener;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile RuntimeException listenerFailure;

    StreamPump(StdStream stream, InputStream in, BoundedCapture capture, OutputListener listener) {
        this.stream = stream;
        this.in = in;
        this.capture = capture;
        this.listener = listener;
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

    /** Waits for end of stream; false if it did not come in time. */
    boolean await(long nanos) throws InterruptedException {
        return done.await(nanos, TimeUnit.NANOSECONDS);
    }

    RuntimeException listenerFailure() {
        return listenerFailure;
    }
}
