package dev.kavach.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * Where a command's standard input comes from. A backend {@linkplain #open() opens} it and copies it to the
 * command as the command reads, so input of any size (a 3 GB file, {@code /dev/zero}, a terminal) never has
 * to be held in memory. Made with {@link #of(byte[])}, {@link #of(Path)} or {@link #of(InputStream)}.
 */
public interface StdinSource {
    /** No input: the command's stdin is closed at once. */
    StdinSource EMPTY = of(new byte[0]);

    /** These bytes (copied). */
    static StdinSource of(byte[] bytes) {
        return new Bytes(bytes);
    }

    /** The file's contents, read while the command runs; any file, {@code /dev/zero} and FIFOs included. */
    static StdinSource of(Path file) {
        return new FileSource(requireNonNull(file, "file is null"));
    }

    /**
     * The bytes of {@code in}, copied as they arrive (an interactive terminal works), until its end. It can be
     * opened once only, and the backend closes it when the command's stdin is done.
     */
    static StdinSource of(InputStream in) {
        return new StreamSource(requireNonNull(in, "in is null"));
    }

    /**
     * Opens the input for one command. A backend calls this once per exec and closes what it gets.
     *
     * @throws IOException           when a file cannot be opened
     * @throws IllegalStateException when a stream source was already opened
     */
    InputStream open() throws IOException;

    /** The length in bytes when known before reading (bytes, a regular file); empty for a stream, FIFO or device. */
    OptionalLong knownLength();

    /** The file to read, for a file source (a backend may hand it to the command directly); empty otherwise. */
    default Optional<Path> file() {
        return Optional.empty();
    }

    /** Whether this is known to be empty without reading it. */
    default boolean isEmpty() {
        return knownLength().orElse(-1) == 0 && file().isEmpty();
    }

    /**
     * All of the input in memory, for backends written before stdin was streamed. Unbounded: prefer
     * {@link #open()}. Consumes a stream source.
     */
    default byte[] readAllBytes() {
        try (InputStream in = open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
    }

    /** Bytes held in memory. */
    record Bytes(byte[] bytes) implements StdinSource {
        public Bytes {
            bytes = requireNonNull(bytes, "bytes is null").clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public OptionalLong knownLength() {
            return OptionalLong.of(bytes.length);
        }

        @Override
        public byte[] readAllBytes() {
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

    /** A file read while the command runs. */
    record FileSource(Path path) implements StdinSource {
        public FileSource {
            requireNonNull(path, "path is null");
        }

        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(path);
        }

        @Override
        public OptionalLong knownLength() {
            try {
                // A device or FIFO reports a size of 0 whatever it holds: only a regular file's size is its length.
                return Files.isRegularFile(path) ? OptionalLong.of(Files.size(path)) : OptionalLong.empty();
            } catch (IOException e) {
                return OptionalLong.empty();
            }
        }

        @Override
        public Optional<Path> file() {
            return Optional.of(path);
        }

        @Override
        public String toString() {
            return "file " + path;
        }
    }

    /** A stream copied once, as it arrives. */
    final class StreamSource implements StdinSource {
        private final InputStream in;
        private final AtomicBoolean opened = new AtomicBoolean();

        StreamSource(InputStream in) {
            this.in = in;
        }

        @Override
        public InputStream open() {
            if (!opened.compareAndSet(false, true)) {
                throw new IllegalStateException("this stdin stream was already read by an earlier exec; give each exec its own source");
            }
            return in;
        }

        @Override
        public OptionalLong knownLength() {
            return OptionalLong.empty();
        }

        @Override
        public String toString() {
            return "stream";
        }
    }
}
