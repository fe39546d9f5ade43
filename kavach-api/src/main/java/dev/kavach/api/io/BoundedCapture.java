package dev.kavach.api.io;

import dev.kavach.api.StreamOutput;

import java.io.ByteArrayOutputStream;

/**
 * Keeps at most {@code limit} bytes of a stream and counts the rest: the reader keeps draining the pipe
 * so the writer never blocks, and memory stays bounded. Thread-safe. A supported utility for backends.
 */
public final class BoundedCapture {
    private final long limit;
    private final boolean keep;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long dropped;
    private long keptElsewhere;

    /**
     * @param limit bytes to keep; 0 means no limit
     * @param keep  false to keep nothing and count everything as delivered elsewhere (streaming)
     */
    public BoundedCapture(long limit, boolean keep) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        this.limit = limit;
        this.keep = keep;
    }

    public BoundedCapture(long limit) {
        this(limit, true);
    }

    /**
     * Accepts a chunk read from the stream.
     *
     * @return how many leading bytes of the chunk fall within the limit (the caller may forward those)
     */
    public synchronized int accept(byte[] data, int offset, int length) {
        long room = limit == 0 ? Long.MAX_VALUE : Math.max(0, limit - kept.size() - keptElsewhere);
        int within = (int) Math.min(length, room);
        if (keep) {
            kept.write(data, offset, within);
        } else {
            keptElsewhere += within;
        }
        dropped += length - within;
        return within;
    }

    public synchronized long dropped() {
        return dropped;
    }

    public synchronized boolean truncated() {
        return dropped > 0;
    }

    /** The bytes within the limit that were forwarded rather than kept (when {@code keep} is false). */
    public synchronized long forwarded() {
        return keptElsewhere;
    }

    public synchronized StreamOutput toOutput() {
        return new StreamOutput(kept.toByteArray(), dropped);
    }
}
