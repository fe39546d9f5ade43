package dev.kavach.backend.sev.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/**
 * Writes a cpio archive in the "new ASCII" ({@code newc}) format the Linux initramfs loader and busybox
 * {@code cpio} read: a 110-byte hex header per entry, name and data each padded to 4 bytes, and a
 * {@code TRAILER!!!} entry. Timestamps are 0 so that the same content gives the same bytes (a stable hash).
 */
final class CpioWriter implements AutoCloseable {
    private static final int REGULAR = 0100000;
    private static final int DIRECTORY = 0040000;
    private static final int SYMLINK = 0120000;

    private final OutputStream out;
    private long written;
    private int nextInode = 1;
    private boolean finished;

    public CpioWriter(OutputStream out) {
        this.out = requireNonNull(out, "out is null");
    }

    public void directory(String name, int permissions) throws IOException {
        entry(name, DIRECTORY | permissions, 2, new byte[0]);
    }

    public void file(String name, int permissions, byte[] data) throws IOException {
        entry(name, REGULAR | permissions, 1, data);
    }

    /** A regular file of exactly {@code size} bytes copied from {@code data} in chunks, never held whole in memory. */
    public void file(String name, int permissions, long size, InputStream data) throws IOException {
        requireNonNull(data, "data is null");
        if (size < 0 || size > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a cpio (newc) entry holds 0 to 4 GiB - 1 bytes, not " + size);
        }
        entry(name, REGULAR | permissions, 1, size, () -> {
            byte[] buffer = new byte[64 * 1024];
            long left = size;
            while (left > 0) {
                int n = data.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("'" + name + "' ended after " + (size - left) + " of its " + size + " bytes");
                }
                out.write(buffer, 0, n);
                written += n;
                left -= n;
            }
        });
    }

    public void symlink(String name, String target) throws IOException {
        entry(name, SYMLINK | 0777, 1, target.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes the trailer; the archive is complete afterwards. Does not close the underlying stream. */
    public void finish() throws IOException {
        if (!finished) {
            entry("TRAILER!!!", 0, 1, new byte[0]);
            finished = true;
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        finish();
    }

    /** Writes an entry's data; called between its padded header and its padding. */
    @FunctionalInterface
    private interface Body {
        void write() throws IOException;
    }

    private void entry(String name, int mode, int links, byte[] data) throws IOException {
        requireNonNull(data, "data is null");
        entry(name, mode, links, data.length, () -> write(data));
    }

    private void entry(String name, int mode, int links, long size, Body body) throws IOException {
        requireNonNull(name, "name is null");
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        if (name.isEmpty() || name.startsWith("/") || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("cpio entry name must be relative and non-empty without NUL: '" + name + "'");
        }
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        int inode = name.equals("TRAILER!!!") ? 0 : nextInode++;
        String header = "070701" + hex(inode) + hex(mode) + hex(0) + hex(0) + hex(links) + hex(0) + hex(size)
                + hex(0) + hex(0) + hex(0) + hex(0) + hex(nameBytes.length) + hex(0);
        write(header.getBytes(StandardCharsets.US_ASCII));
        write(nameBytes);
        pad();
        body.write();
        pad();
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        written += bytes.length;
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }

    private static String hex(long value) {
        return String.format("%08x", value);
    }
}
