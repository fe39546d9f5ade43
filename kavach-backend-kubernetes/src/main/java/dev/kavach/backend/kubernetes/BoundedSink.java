package dev.kavach.backend.kubernetes;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import dev.kavach.api.StreamOutput;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import static java.util.Objects.requireNonNull;

/**
 * Drains one exec stream to its end, applying the policy's output limit while streaming: the bytes
 * within the limit go to the listener (and into the result when the listener keeps them), the rest are
 * counted and dropped, so a flood never blocks the stream or fills the heap.
 */
final class BoundedSink {
    private final StdStream stream;
    private final long limit;
    private final OutputListener listener;
    private final boolean keep;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long within;
    private long beyond;
    private RuntimeException listenerFailure;

    /** @param limit the most bytes that pass, 0 for no limit */
    BoundedSink(StdStream stream, long limit, OutputListener listener) {
        this.stream = requireNonNull(stream, "stream is null");
        this.limit = limit;
        this.listener = requireNonNull(listener, "listener is null");
        this.keep = listener.keepInResult();
    }

    /** Reads {@code in} to its end; an I/O error ends it too (the exec stream closes with a deleted pod). */
    void drain(InputStream in) {
        byte[] buffer = new byte[16 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                accept(buffer, n);
            }
        } catch (IOException e) {
            // What arrived before the stream closed is the result.
        }
    }

    synchronized void accept(byte[] buffer, int n) {
        int pass = limit == 0 ? n : (int) Math.min(n, Math.max(0, limit - within));
        within += pass;
        beyond += n - pass;
        if (pass == 0) {
            return;
        }
        if (keep) {
            kept.write(buffer, 0, pass);
        }
        if (listenerFailure == null) {
            try {
                listener.onOutput(stream, buffer, 0, pass);
            } catch (RuntimeException e) {
                listenerFailure = e;
            }
        }
    }

    synchronized StreamOutput output() {
        return new StreamOutput(keep ? kept.toByteArray() : new byte[0], beyond);
    }

    synchronized RuntimeException listenerFailure() {
        return listenerFailure;
    }
}
