package dev.kavach.api;

import java.nio.charset.StandardCharsets;

/**
 * What one output stream produced, bounded by the policy's output limit.
 *
 * @param bytes        the bytes kept, at most the limit
 * @param droppedBytes bytes the command wrote past the limit: drained and counted, never kept
 */
public record StreamOutput(byte[] bytes, long droppedBytes) {
    public static final StreamOutput EMPTY = new StreamOutput(new byte[0], 0);

    public StreamOutput {
        bytes = bytes == null ? new byte[0] : bytes.clone();
        if (droppedBytes < 0) {
            throw new IllegalArgumentException("droppedBytes must be >= 0, got " + droppedBytes);
        }
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The kept bytes decoded as UTF-8, malformed sequences replaced. */
    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Whether the limit cut this stream short. */
    public boolean truncated() {
        return droppedBytes > 0;
    }

    /** Bytes the command wrote in all, kept plus dropped. */
    public long totalBytes() {
        return bytes.length + droppedBytes;
    }

    public int size() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StreamOutput other && droppedBytes == other.droppedBytes && java.util.Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(bytes) + Long.hashCode(droppedBytes);
    }

    @Override
    public String toString() {
        return "StreamOutput[" + bytes.length + " bytes kept, " + droppedBytes + " dropped]";
    }
}
