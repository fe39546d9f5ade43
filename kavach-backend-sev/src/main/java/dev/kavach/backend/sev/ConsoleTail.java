package dev.kavach.backend.sev;

import java.nio.charset.StandardCharsets;

/**
 * Keeps the last {@code capacity} bytes of a VM's serial console (and QEMU's own messages): the end is
 * what explains a failed boot, and memory stays bounded however much the guest prints. Thread-safe.
 */
public final class ConsoleTail {
    private final byte[] ring;
    private long total;

    public ConsoleTail(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.ring = new byte[capacity];
    }

    public synchronized void accept(byte[] data, int offset, int length) {
        for (int i = 0; i < length; i++) {
            ring[(int) (total++ % ring.length)] = data[offset + i];
        }
    }

    /** Bytes seen in all, kept or not. */
    public synchronized long total() {
        return total;
    }

    /** The kept tail, decoded as UTF-8 (a cut multi-byte character becomes U+FFFD). */
    public synchronized String text() {
        int kept = (int) Math.min(total, ring.length);
        byte[] out = new byte[kept];
        long first = total - kept;
        for (int i = 0; i < kept; i++) {
            out[i] = ring[(int) ((first + i) % ring.length)];
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The last {@code lines} lines, for quoting in a one-screen error message. */
    public String lastLines(int lines) {
        String text = text().replace("\r", "");
        String[] all = text.split("\n");
        int from = Math.max(0, all.length - lines);
        StringBuilder out = new StringBuilder();
        for (int i = from; i < all.length; i++) {
            out.append("  | ").append(all[i]).append('\n');
        }
        return out.isEmpty() ? "  | (the console printed nothing)\n" : out.toString();
    }
}
