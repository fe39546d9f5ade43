package dev.kavach.backend.sev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-VM directories ({@code <tmp>/kavach-<backend>-*}) that hold a VM's sockets, each with an
 * {@code owner} file naming the JVM (pid and start time) and, once started, a {@code qemu} file naming its
 * QEMU the same way. A JVM killed with {@code kill -9} leaves both behind; the next Kavach to start sweeps
 * them: a directory whose owner is provably dead (no process with that pid and start time) loses its QEMU
 * (if that exact process still runs) and is removed. A live owner's directory, another helper's or another
 * user's, is never touched; nor is one without an owner file unless it is a day old.
 */
final class VmWorkDirs {
    private static final Logger LOG = LoggerFactory.getLogger(VmWorkDirs.class);

    static final String OWNER = "owner";
    static final String QEMU = "qemu";
    private static final Duration OWNERLESS_AGE = Duration.ofDays(1);

    private VmWorkDirs() {
    }

    /** Creates a directory for one VM of backend {@code id}, owned (on record) by this JVM. */
    static Path create(Path root, String id) throws IOException {
        Path dir = Files.createTempDirectory(root, "kavach-" + id + "-");
        Files.writeString(dir.resolve(OWNER), stamp(ProcessHandle.current()), StandardCharsets.US_ASCII);
        return dir;
    }

    /** Records the VM's QEMU process, so a sweep after this JVM's death can stop exactly it. */
    static void recordQemu(Path dir, ProcessHandle qemu) throws IOException {
        Files.writeString(dir.resolve(QEMU), stamp(qemu), StandardCharsets.US_ASCII);
    }

    /** Sweeps {@code root}'s {@code kavach-<id>-*} directories of dead owners; returns what it removed. */
    static List<Path> sweep(Path root, String id) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, "kavach-" + id + "-*")) {
            for (Path dir : dirs) {
                if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && ownerDead(dir)) {
                    read(dir.resolve(QEMU)).flatMap(VmWorkDirs::alive).ifPresent(qemu -> {
                        // Its command line names this directory's sockets: never a recycled pid of something else.
                        if (qemu.info().arguments().map(args -> String.join(" ", args).contains(dir.toString())).orElse(false)) {
                            LOG.debug("killing QEMU pid {}, left running by the dead owner of {}", qemu.pid(), dir);
                            qemu.destroyForcibly();
                        }
                    });
                    deleteTree(dir);
                    removed.add(dir);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // an unreadable tmp dir: nothing of ours to sweep there
        }
        return removed;
    }

    private static boolean ownerDead(Path dir) throws IOException {
        Optional<String> owner = read(dir.resolve(OWNER));
        if (owner.isEmpty()) {
            FileTime modified = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS);
            return modified.toInstant().isBefore(Instant.now().minus(OWNERLESS_AGE));
        }
        return alive(owner.get()).isEmpty();
    }

    /** "pid startMillis" of a process. */
    static String stamp(ProcessHandle process) {
        long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        return process.pid() + " " + started + "\n";
    }

    /** The process a stamp names, if that very process (same pid, same start) still runs. */
    static Optional<ProcessHandle> alive(String stamp) {
        String[] parts = stamp.trim().split(" ");
        if (parts.length != 2 || !parts[0].matches("[0-9]{1,10}") || !parts[1].matches("[0-9]{1,19}")) {
            return Optional.empty();
        }
        long started = Long.parseLong(parts[1]);
        return ProcessHandle.of(Long.parseLong(parts[0])).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L) == started);
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Optional.of(Files.readString(file, StandardCharsets.US_ASCII))
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Removes a directory tree without following links; best effort. */
    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: the next sweep tries again
        }
    }
}
