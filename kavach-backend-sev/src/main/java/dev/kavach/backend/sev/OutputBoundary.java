package dev.kavach.backend.sev;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import dev.kavach.api.io.BoundedCapture;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * One exec's share of a session guest's output port. A session's execs write one after the other into the
 * same virtio-serial port, so the agent ends each exec's output with a boundary the host chose for that exec
 * (random, sent on the request line, kept in a root-only directory: the task never sees it and cannot forge
 * it). Bytes up to the boundary are this exec's: bounded by the exec's output limit (the rest counted as
 * dropped) and handed to the listener as they arrive; the last {@code boundary.length - 1} bytes are held back
 * until it is clear they are not the start of the boundary.
 */
final class OutputBoundary {
    private final byte[] boundary;
    private final BoundedCapture capture;
    private final OutputListener listener;
    private final StdStream stream;
    private final CountDownLatch ended = new CountDownLatch(1);
    private byte[] pending = new byte[0];

    OutputBoundary(byte[] boundary, long outputLimit, OutputListener listener, StdStream stream) {
        this.boundary = requireNonNull(boundary, "boundary is null").clone();
        if (this.boundary.length == 0) {
            throw new IllegalArgumentException("boundary is empty");
        }
        this.listener = requireNonNull(listener, "listener is null");
        this.stream = requireNonNull(stream, "stream is null");
        this.capture = new BoundedCapture(outputLimit, listener.keepInResult());
    }

    /** Takes bytes read from the port; whatever follows the boundary is not this exec's and is dropped. */
    synchronized void accept(byte[] data, int offset, int length) {
        if (ended.getCount() == 0) {
            return;
        }
        byte[] joined = Arrays.copyOf(pending, pending.length + length);
        System.arraycopy(data, offset, joined, pending.length, length);
        int at = indexOf(joined, boundary);
        if (at >= 0) {
            deliver(joined, 0, at);
            pending = new byte[0];
            ended.countDown();
            return;
        }
        int keep = Math.min(joined.length, boundary.length - 1);
        deliver(joined, 0, joined.length - keep);
        pending = Arrays.copyOfRange(joined, joined.length - keep, joined.length);
    }

    private void deliver(byte[] data, int offset, int length) {
        if (length <= 0) {
            return;
        }
        int within = capture.accept(data, offset, length);
        if (within > 0) {
            listener.onOutput(stream, data, offset, within);
        }
    }

    /** Waits until the boundary arrived; false when {@code millis} passed first. */
    boolean awaitEnd(long millis) throws InterruptedException {
        return ended.await(millis, TimeUnit.MILLISECONDS);
    }

    boolean ended() {
        return ended.getCount() == 0;
    }

    dev.kavach.api.StreamOutput output() {
        return capture.toOutput();
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
