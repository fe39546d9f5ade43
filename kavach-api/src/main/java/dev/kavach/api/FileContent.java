package dev.kavach.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * The bytes of a file moved into a sandbox: {@link #of(byte[])}, {@link #of(Path)} (a regular host file, read
 * when it is moved) or {@link #of(InputStream)} (read once, as it arrives). A backend {@linkplain #open() opens}
 * it once per transfer, counts what it copies and fails with a {@link TransferLimitExceededException} when the
 * content goes over the policy's transfer limit, whether or not its length was known. It reads through the
 * same sources as standard input ({@link StdinSource}), with one rule more: a host file must be a regular file,
 * since a device or FIFO would never end.
 */
public final class FileContent {
    private final StdinSource source;

    private FileContent(StdinSource source) {
        this.source = source;
    }

    /** These bytes (copied). */
    public static FileContent of(byte[] bytes) {
        return new FileContent(StdinSource.of(requireNonNull(bytes, "bytes is null")));
    }

    /** The regular file at {@code file} on the host; a symbolic link to one is followed. */
    public static FileContent of(Path file) {
        return new FileContent(StdinSource.of(requireNonNull(file, "file is null")));
    }

    /** The bytes of {@code in} until its end; can be opened once, and is closed by whoever opens it. */
    public static FileContent of(InputStream in) {
        return new FileContent(StdinSource.of(requireNonNull(in, "in is null")));
    }

    /**
     * Opens the content for one transfer; the caller closes it.
     *
     * @throws IOException           when a host file is missing or not a regular file
     * @throws IllegalStateException when a stream's content was opened before
     */
    public InputStream open() throws IOException {
        Optional<Path> file = source.file();
        if (file.isPresent() && !Files.isRegularFile(file.get())) {
            throw new IOException("'" + file.get() + "' is not a regular file; only regular files can be copied into a sandbox");
        }
        return source.open();
    }

    /** The length when known before reading (bytes, a regular file); empty for a stream. */
    public OptionalLong knownLength() {
        return source.knownLength();
    }

    /** The host file it reads, for content given as a file (a backend may copy it directly). */
    public Optional<Path> hostFile() {
        return source.file();
    }

    /** A copy of the bytes, for content given as bytes (a backend may use them without a copy loop). */
    public Optional<byte[]> bytes() {
        return source instanceof StdinSource.Bytes held ? Optional.of(held.bytes()) : Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileContent other && source.equals(other.source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return source.toString();
    }
}
