package dev.kavach.backend.process;

import dev.kavach.api.process.ProcessStarter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * FIFOs for the {@link ForkServer}'s launches, made ahead in batches: the JVM cannot make a FIFO itself, and one
 * {@code mkfifo} for {@link #BATCH} launches keeps its exec off nearly every launch. Each FIFO is 0600 in
 * Kavach's private directory and is renamed to its launch's names when taken.
 */
final class FifoPool implements AutoCloseable {
    /** Launches per {@code mkfifo} run. */
    static final int BATCH = 32;

    private final Path dir;
    private final Path mkfifo;
    private final Map<String, String> env;
    private final Deque<Path> ready = new ArrayDeque<>();
    private long made;

    FifoPool(Path dir, Path mkfifo, Map<String, String> env) {
        this.dir = dir;
        this.mkfifo = mkfifo;
        this.env = Map.copyOf(env);
    }

    /** Three FIFOs renamed to {@code in}, {@code out} and {@code err}. */
    Triple take(Path in, Path out, Path err) throws IOException {
        List<Path> three = new ArrayList<>(3);
        synchronized (ready) {
            if (ready.size() < 3) {
                refill();
            }
            for (int i = 0; i < 3; i++) {
                three.add(ready.pop());
            }
        }
        Triple triple = new Triple(in, out, err);
        try {
            Files.move(three.get(0), in);
            Files.move(three.get(1), out);
            Files.move(three.get(2), err);
        } catch (IOException e) {
            three.forEach(ForkServer::deleteQuietly); // taken from the pool: nobody else removes them
            triple.unlink();
            throw e;
        }
        return triple;
    }

    private void refill() throws IOException {
        List<String> argv = new ArrayList<>(List.of(mkfifo.toString(), "-m", "600", "--"));
        List<Path> batch = new ArrayList<>();
        for (int i = 0; i < 3 * BATCH; i++) {
            Path fifo = dir.resolve("fifo-" + made++);
            batch.add(fifo);
            argv.add(fifo.toString());
        }
        Process process = ProcessStarter.DIRECT.start(argv, env, Path.of("/"));
        process.getOutputStream().close();
        try {
            // Waited for first (its few lines of errors fit the pipe), so that the bound holds.
            boolean ended = process.waitFor(30, TimeUnit.SECONDS);
            if (!ended || process.exitValue() != 0) {
                process.destroyForcibly();
                String errors = ended ? new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip() : "";
                batch.forEach(ForkServer::deleteQuietly);
                throw new IOException("mkfifo failed in " + dir + ": " + (errors.isEmpty() ? "no answer" : errors));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            batch.forEach(ForkServer::deleteQuietly);
            throw new IOException("interrupted while making FIFOs", e);
        }
        process.getInputStream().close();
        process.getErrorStream().close();
        ready.addAll(batch);
    }

    /** Removes the FIFOs not handed out. */
    @Override
    public void close() {
        synchronized (ready) {
            ready.forEach(ForkServer::deleteQuietly);
            ready.clear();
        }
    }

    /** One launch's FIFOs, named after it until both sides have opened them. */
    record Triple(Path in, Path out, Path err) {
        void unlink() {
            ForkServer.deleteQuietly(in);
            ForkServer.deleteQuietly(out);
            ForkServer.deleteQuietly(err);
        }
    }
}
