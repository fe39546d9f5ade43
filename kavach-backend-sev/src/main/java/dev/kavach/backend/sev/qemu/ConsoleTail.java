package dev.kavach.backend.sev.qemu;

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

    /**
     * The last {@code lines} lines under a label, sanitized, for the end of a boot failure's message:
     * "\n{label}, last N lines:\n  | ...". Empty when nothing was printed, so a message stays one line.
     */
    public String quoted(String label, int lines) {
        String text = text();
        if (text.isBlank()) {
            return "";
        }
        String[] all = text.replace("\r\n", "\n").split("\n");
        int from = Math.max(0, all.length - lines);
        StringBuilder out = new StringBuilder("\n").append(label).append(", last ").append(all.length - from).append(" line(s):");
        for (int i = from; i < all.length; i++) {
            out.append("\n  | ").append(sanitize(all[i]));
        }
        return out.toString();
    }

    /**
     * The text with every control, format (e.g. bidirectional overrides) and unassigned character replaced
     * by a visible escape such as {@code \x1b} or {@code \u202e}: guest text cannot move the cursor, clear
     * the terminal, reorder what a reader sees or forge a line of its own in a message that quotes it.
     */
    public static String sanitize(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            int type = Character.getType(c);
            boolean hidden = type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.PRIVATE_USE
                    || type == Character.SURROGATE;
            if (c == '\t' || !hidden) {
                out.appendCodePoint(c);
            } else if (c < 0x100) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.append(String.format("\\u%04x", c));
            }
        });
        return out.toString();
    }

    /** The last {@code lines} lines, for quoting in a one-screen error message. */
    public String lastLines(int lines) {
        String text = text().replace("\r", "");
        String[] all = text.split("\n");
        int from = Math.max(0, all.length - lines);
        StringBuilder out = new StringBuilder();
        for (int i = from; i < all.length; i++) {
            out.append("  | ").append(sanitize(all[i])).append('\n');
        }
        return out.isEmpty() ? "  | (the console printed nothing)\n" : out.toString();
    }
}
