package dev.kavach.backend.sev.guest;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import dev.kavach.backend.sev.qemu.ConsoleTail;

import static java.util.Objects.requireNonNull;

/**
 * Reads a cpio (newc) archive as busybox {@code cpio -o -H newc} writes it, entry by entry, from a stream that
 * goes on after the archive (a port): it reads exactly up to the end of the {@code TRAILER!!!} entry and no
 * further. Only what the session agent sends is accepted: a bad magic or a malformed number is an
 * {@link IOException} naming it.
 */
public final class CpioReader {
    private static final int HEADER = 110;
    /** The longest name accepted (Linux's PATH_MAX). */
    private static final int MAX_NAME = 4096;

    /** One entry's header; its data follows and must be read (or skipped) with {@link #data}. */
    public record Entry(String name, int mode, long size) {
        public boolean isRegularFile() {
            return (mode & 0170000) == 0100000;
        }
    }

    private final InputStream in;
    private long pendingData;
    private int pendingPad;

    public CpioReader(InputStream in) {
        this.in = requireNonNull(in, "in is null");
    }

    /** The next entry, or empty at the trailer (which is consumed). */
    public Optional<Entry> next() throws IOException {
        if (pendingData > 0 || pendingPad > 0) {
            throw new IllegalStateException("read or skip the data of the previous entry first");
        }
        byte[] header = in.readNBytes(HEADER);
        if (header.length < HEADER) {
            throw new EOFException("the archive ended inside an entry header");
        }
        String text = new String(header, StandardCharsets.US_ASCII);
        if (!text.startsWith("070701") && !text.startsWith("070702")) {
            throw new IOException("not a newc cpio entry (magic '" + ConsoleTail.sanitize(text.substring(0, 6)) + "')");
        }
        int mode = (int) field(text, 1);
        long size = field(text, 6);
        int nameSize = (int) field(text, 11);
        if (nameSize < 1 || nameSize > MAX_NAME + 1) {
            throw new IOException("cpio entry name of " + nameSize + " bytes");
        }
        byte[] name = in.readNBytes(nameSize);
        if (name.length < nameSize) {
            throw new EOFException("the archive ended inside an entry name");
        }
        skip(pad(HEADER + nameSize));
        String entryName = new String(name, 0, nameSize - 1, StandardCharsets.UTF_8);
        if (entryName.equals("TRAILER!!!")) {
            return Optional.empty();
        }
        pendingData = size;
        pendingPad = pad(size);
        return Optional.of(new Entry(entryName, mode, size));
    }

    /** Copies the current entry's data to {@code out} (null to skip it). */
    public void data(OutputStream out) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        while (pendingData > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, pendingData));
            if (n < 0) {
                throw new EOFException("the archive ended inside an entry's data");
            }
            if (out != null) {
                out.write(buffer, 0, n);
            }
            pendingData -= n;
        }
        skip(pendingPad);
        pendingPad = 0;
    }

    private void skip(int n) throws IOException {
        if (in.readNBytes(n).length < n) {
            throw new EOFException("the archive ended inside padding");
        }
    }

    private static int pad(long length) {
        return (int) ((4 - (length % 4)) % 4);
    }

    private static long field(String header, int index) throws IOException {
        String hex = header.substring(6 + index * 8, 14 + index * 8);
        try {
            return Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            throw new IOException("malformed cpio header field '" + ConsoleTail.sanitize(hex) + "'");
        }
    }
}
