package dev.kavach.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import dev.kavach.api.KavachException;
import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;

/**
 * {@code kavach run --json}: the command's stdout and stderr parked in two private temporary files while it
 * runs, so that the JSON result can be written afterwards without holding any output in memory. The backend
 * keeps nothing either ({@link #keepInResult()} is false); each file holds at most the output limit.
 */
final class OutputSpool implements OutputListener, AutoCloseable {
    private final Path dir;
    private final Spool stdout;
    private final Spool stderr;

    private OutputSpool(Path dir) throws IOException {
        this.dir = dir;
        this.stdout = new Spool(dir.resolve("stdout"));
        this.stderr = new Spool(dir.resolve("stderr"));
    }

    /** A spool in a fresh directory only this user can read, under {@code java.io.tmpdir}. */
    static OutputSpool create() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kavach-json-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return new OutputSpool(dir);
        } catch (IOException | UnsupportedOperationException e) {
            if (dir != null) {
                delete(dir);
            }
            throw new KavachException("cannot create a temporary directory for the command's output: " + e.getMessage(),
                    "make " + System.getProperty("java.io.tmpdir") + " writable, or choose another with KAVACH_JAVA_OPTS=-Djava.io.tmpdir=DIR");
        }
    }

    @Override
    public void onOutput(StdStream stream, byte[] data, int offset, int length) {
        (stream == StdStream.STDOUT ? stdout : stderr).write(data, offset, length);
    }

    @Override
    public boolean keepInResult() {
        return false;
    }

    Spool stdout() {
        return stdout;
    }

    Spool stderr() {
        return stderr;
    }

    /** Ends writing; fails when a spool could not hold what the command wrote (e.g. a full disk). */
    void finish() {
        stdout.finish();
        stderr.finish();
    }

    @Override
    public void close() {
        stdout.closeQuietly();
        stderr.closeQuietly();
        delete(dir.resolve("stdout"));
        delete(dir.resolve("stderr"));
        delete(dir);
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Best effort: the directory is private and under the temporary directory.
        }
    }

    /** One stream's file. Written by one reader thread, read after the command ended. */
    static final class Spool {
        private final Path file;
        private final OutputStream out;
        private long size;
        private IOException failure;

        private Spool(Path file) throws IOException {
            this.file = file;
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
        }

        synchronized void write(byte[] data, int offset, int length) {
            if (failure != null) {
                return; // keep draining: the command must never block on a full pipe
            }
            try {
                out.write(data, offset, length);
                size += length;
            } catch (IOException e) {
                failure = e;
            }
        }

        synchronized void finish() {
            try {
                out.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
            if (failure != null) {
                throw new KavachException("cannot keep the command's output in " + file + ": " + failure.getMessage(),
                        "free space under " + file.getParent().getParent() + ", or choose another with KAVACH_JAVA_OPTS=-Djava.io.tmpdir=DIR");
            }
        }

        synchronized void closeQuietly() {
            try {
                out.close();
            } catch (IOException e) {
                // Already reported by finish(), or the spool is being discarded.
            }
        }

        /** Bytes the command wrote to this stream within the output limit. */
        synchronized long size() {
            return size;
        }

        InputStream open() {
            try {
                return Files.newInputStream(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
