package dev.kavach.backend.process;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One end of a {@link ForkServer} launch's FIFO, opened when first used: an open of a FIFO waits for the other
 * side's, so each end opens on the thread that reads or writes it, never on the caller's, and never while
 * holding a lock that {@code close} needs.
 */
final class FifoEnd<T extends Closeable> {
    @FunctionalInterface
    interface Opener<T> {
        T open() throws IOException;
    }

    private final Opener<T> opener;
    private T stream;
    private boolean closed;

    private FifoEnd(Opener<T> opener) {
        this.opener = opener;
    }

    private T get() throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("closed");
            }
            if (stream != null) {
                return stream;
            }
        }
        T opened = opener.open(); // waits for the other side
        synchronized (this) {
            if (closed || stream != null) {
                opened.close();
                return get();
            }
            stream = opened;
            return opened;
        }
    }

    private void close(boolean openFirst) throws IOException {
        T open = null;
        if (openFirst) {
            try {
                open = get();
            } catch (IOException e) {
                // already closed, or the FIFO is gone with a launch that never started
            }
        }
        synchronized (this) {
            closed = true;
            open = stream;
        }
        if (open != null) {
            open.close();
        }
    }

    /** The read end (the command's stdout or stderr). */
    static InputStream reading(Path fifo) {
        FifoEnd<InputStream> end = new FifoEnd<>(() -> {
            try {
                return Files.newInputStream(fifo);
            } catch (java.nio.file.NoSuchFileException e) {
                // Unlinked before this side came to open it: only a cancelled launch's names go that early, and it never wrote.
                return InputStream.nullInputStream();
            }
        });
        return new InputStream() {
            @Override
            public int read() throws IOException {
                return end.get().read();
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                return end.get().read(buffer, offset, length);
            }

            @Override
            public void close() throws IOException {
                end.close(false);
            }
        };
    }

    /**
     * The write end (the command's stdin): never created, so a FIFO already gone (a cancelled launch) fails instead of
     * becoming a plain file. Closing it unopened opens it first, so that the other side's open ends (with end of input).
     */
    static OutputStream writing(Path fifo) {
        FifoEnd<OutputStream> end = new FifoEnd<>(() -> Files.newOutputStream(fifo, StandardOpenOption.WRITE));
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                end.get().write(b);
            }

            @Override
            public void write(byte[] buffer, int offset, int length) throws IOException {
                end.get().write(buffer, offset, length);
            }

            @Override
            public void flush() throws IOException {
                end.get().flush();
            }

            @Override
            public void close() throws IOException {
                end.close(true);
            }
        };
    }
}
