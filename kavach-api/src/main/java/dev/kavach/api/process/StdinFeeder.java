package dev.kavach.api.process;

import dev.kavach.api.StdinSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;

import static java.util.Objects.requireNonNull;

/**
 * Writes a command's standard input on a thread of its own and closes it, so that a command that reads
 * slowly, or not at all, never blocks the caller. A command that exits or closes its stdin before reading
 * everything is its own business: the rest is dropped without error.
 *
 * <p>Streamed input is copied chunk by chunk and flushed after each chunk: memory stays bounded, and an
 * interactive program (one that answers each line before the next is typed) sees every line as soon as it
 * arrives. {@link Process#getOutputStream()} is buffered, so a plain {@link InputStream#transferTo} would
 * hold a short line back until 8 KiB had gathered, and such a program would wait forever.
 */
public final class StdinFeeder {
    private static final int CHUNK = 64 * 1024;

    private StdinFeeder() {
    }

    /** Feeds {@code data} and closes {@code stdin}; with no data, closes it at once (the command sees end of file). */
    public static void feed(OutputStream stdin, byte[] data, Executor executor) throws IOException {
        requireNonNull(data, "data is null");
        if (data.length == 0) {
            stdin.close();
            return;
        }
        executor.execute(() -> {
            try (stdin) {
                stdin.write(data);
            } catch (IOException e) {
                // The command exited or closed stdin early.
            }
        });
    }

    /**
     * Copies {@code source} to {@code stdin} until its end, flushing each chunk as it arrives, then closes
     * both (for streamed input).
     */
    public static void feed(OutputStream stdin, InputStream source, Executor executor) {
        requireNonNull(stdin, "stdin is null");
        requireNonNull(source, "source is null");
        requireNonNull(executor, "executor is null");
        executor.execute(() -> {
            try (stdin; source) {
                copy(source, stdin);
            } catch (IOException | RuntimeException e) {
                // The command exited or closed stdin early, or the source failed: the command sees end of file.
            }
        });
    }

    /**
     * Opens {@code source} on the feeding thread (so that a slow file, a FIFO or a terminal never delays the
     * start) and copies it to {@code stdin} chunk by chunk, flushed, then closes both. A source known to be
     * empty closes {@code stdin} at once; a source that cannot be opened (a missing file) ends the input: the
     * command sees end of file, as it would from an empty one.
     */
    public static void feed(OutputStream stdin, StdinSource source, Executor executor) throws IOException {
        requireNonNull(stdin, "stdin is null");
        requireNonNull(source, "source is null");
        requireNonNull(executor, "executor is null");
        if (source.isEmpty()) {
            stdin.close();
            return;
        }
        executor.execute(() -> {
            try (stdin; InputStream in = source.open()) {
                copy(in, stdin);
            } catch (IOException | RuntimeException e) {
                // Exited or closed stdin early, or the source could not be read: the command sees end of file.
            }
        });
    }

    private static void copy(InputStream from, OutputStream to) throws IOException {
        byte[] buffer = new byte[CHUNK];
        for (int n; (n = from.read(buffer)) >= 0; ) {
            if (n > 0) {
                to.write(buffer, 0, n);
                to.flush();
            }
        }
    }
}
