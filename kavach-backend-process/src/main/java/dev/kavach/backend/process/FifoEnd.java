package dev.kavach.backend.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One end of a {@link ForkServer} launch's FIFO, opened when first used: an open of a FIFO waits for the other
 * side's, so each end opens on the thread that reads or writes it, never on the caller's.
 */
final class FifoEnd {
    private FifoEnd() {
    }

    /** The read end (the command's stdout or stderr). */
    static final class In extends InputStream {
        private final Path fifo;
        private InputStream stream;
        private boolean closed;

        In(Path fifo) {
            this.fifo = fifo;
        }

        private InputStream open() throws IOException {
            synchronized (this) {
                if (closed) {
                    throw new IOException("closed");
                }
                if (stream != null) {
                    return stream;
                }
            }
            InputStream opened = Files.newInputStream(fifo); // waits for a writer, outside the lock so close never waits
            synchronized (this) {
                if (closed || stream != null) {
                    opened.close();
                    return open();
                }
                stream = opened;
                return opened;
            }
        }

        @Override
        public int read() throws IOException {
            return open().read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return open().read(buffer, offset, length);
        }

        @Override
        public int available() throws IOException {
            InputStream open;
            synchronized (this) {
                open = stream;
            }
            return open == null ? 0 : open.available();
        }

        @Override
        public void close() throws IOException {
            InputStream open;
            synchronized (this) {
                closed = true;
                open = stream;
            }
            if (open != null) {
                open.close();
            }
        }
    }

    /** The write end (the command's stdin). Closing it unopened still opens it first, so the other side's open ends. */
    static final class Out extends OutputStream {
        private final Path fifo;
        private OutputStream stream;
        private boolean closed;

        Out(Path fifo) {
            this.fifo = fifo;
        }

        private OutputStream open() throws IOException {
            synchronized (this) {
                if (closed) {
                    throw new IOException("closed");
                }
                if (stream != null) {
                    return stream;
                }
            }
            // Never created: a FIFO already gone (a cancelled launch) fails instead of becoming a plain file.
            OutputStream opened = Files.newOutputStream(fifo, StandardOpenOption.WRITE);
            synchronized (this) {
                if (closed || stream != null) {
                    opened.close();
                    return open();
                }
                stream = opened;
                return opened;
            }
        }

        @Override
        public void write(int b) throws IOException {
            open().write(b);
        }

        @Override
        public void write(byte[] buffer, int offset, int length) throws IOException {
            open().write(buffer, offset, length);
        }

        @Override
        public void flush() throws IOException {
            open().flush();
        }

        @Override
        public void close() throws IOException {
            OutputStream open;
            try {
                open = open();
            } catch (IOException e) {
                open = null; // already closed, or the FIFO is gone with a launch that never started
            }
            synchronized (this) {
                closed = true;
            }
            if (open != null) {
                open.close();
            }
        }
    }
}
