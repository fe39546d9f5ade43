package dev.kavach.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * The bytes of a file moved into a sandbox: {@link #of(byte[])}, {@link #of(Path)} (a host file, read when it
 * is moved) or {@link #of(InputStream)} (read once, as it arrives). A backend {@linkplain #open() opens} it once
 * per transfer, counts what it copies and fails with a {@link TransferLimitExceededException} when the content
 * goes over the policy's transfer limit, whether or not its length was known.
 */
public sealed interface FileContent permits FileContent.Bytes, FileContent.HostFile, FileContent.Stream {
    /** These bytes (copied). */
    static FileContent of(byte[] bytes) {
        return new Bytes(bytes);
    }

    /** The regular file at {@code file} on the host; symbolic links are followed, devices and FIFOs refused on open. */
    static FileContent of(Path file) {
        return new HostFile(file);
    }

    /** The bytes of {@code in} until its end; can be opened once, and is closed by whoever opens it. */
    static FileContent of(InputStream in) {
        return new Stream(in);
    }

    /** Opens the content for one transfer; the caller closes it. */
    InputStream open() throws IOException;

    /** The length when known before reading (bytes, a regular file); empty for a stream. */
    OptionalLong knownLength();

    /** Bytes held in memory. */
    final class Bytes implements FileContent {
        private final byte[] bytes;

        private Bytes(byte[] bytes) {
            this.bytes = requireNonNull(bytes, "bytes is null").clone();
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public OptionalLong knownLength() {
            return OptionalLong.of(bytes.length);
        }

        /** A copy of the bytes. */
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes other && Arrays.equals(bytes, other.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return bytes.length + " bytes";
        }
    }

    /** A regular file on the host, read when the transfer happens. */
    record HostFile(Path path) implements FileContent {
        public HostFile {
            requireNonNull(path, "path is null");
        }

        /** @throws IOException when the file is missing or not a regular file (a device or FIFO would never end) */
        @Override
        public InputStream open() throws IOException {
            if (!Files.isRegularFile(path)) {
                throw new IOException("'" + path + "' is not a regular file; only regular files can be copied into a sandbox");
            }
            return Files.newInputStream(path);
        }

        @Override
        public OptionalLong knownLength() {
            try {
                return Files.isRegularFile(path) ? OptionalLong.of(Files.size(path)) : OptionalLong.empty();
            } catch (IOException e) {
                return OptionalLong.empty();
            }
        }
    }

    /** A stream read once, as it arrives. */
    final class Stream implements FileContent {
        private final InputStream in;
        private final AtomicBoolean opened = new AtomicBoolean();

        private Stream(InputStream in) {
            this.in = requireNonNull(in, "in is null");
        }

        /** @throws IllegalStateException when it was opened before */
        @Override
        public InputStream open() {
            if (!opened.compareAndSet(false, true)) {
                throw new IllegalStateException("a stream's content can be copied once only; give bytes or a file to copy it again");
            }
            return in;
        }

        @Override
        public OptionalLong knownLength() {
            return OptionalLong.empty();
        }

        @Override
        public String toString() {
            return "a stream";
        }
    }
}
