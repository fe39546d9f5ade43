package dev.kavach.api.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;

import static java.util.Objects.requireNonNull;

/**
 * Writes a command's standard input on a thread of its own and closes it, so that a command that reads
 * slowly, or not at all, never blocks the caller. A command that exits or closes its stdin before reading
 * everything is its own business: the rest is dropped without error.
 */
public final class StdinFeeder {
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

    /** Copies {@code source} to {@code stdin} until its end, then closes both (for streamed input). */
    public static void feed(OutputStream stdin, InputStream source, Executor executor) {
        requireNonNull(stdin, "stdin is null");
        requireNonNull(source, "source is null");
        executor.execute(() -> {
            try (stdin; source) {
                source.transferTo(stdin);
            } catch (IOException e) {
                // The command exited or closed stdin early, or the source failed: the command sees end of file.
            }
        });
    }
}
