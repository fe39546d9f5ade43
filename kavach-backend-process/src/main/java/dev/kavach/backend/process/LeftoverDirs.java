package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Removes private directories that Kavach processes which died without cleaning up (a {@code kill -9}, a
 * crash) left behind. A directory is removed only when its owner provably died: every live backend holds a
 * lock on the directory's {@code owner.lock} for as long as it runs, and the kernel drops it when the owner
 * dies, so taking the lock proves the owner gone (a reused PID cannot fool it). A directory without the
 * lock file (another version, or one being created) is never touched, nor this JVM's own: opening and closing
 * a second descriptor of a file this process has locked would drop its lock.
 */
final class LeftoverDirs {
    private LeftoverDirs() {
    }

    /** Sweeps {@code parent} for {@code <prefix>*} directories whose owner died; returns what was removed. */
    static List<Path> sweep(Path parent, String prefix, String lockName) {
        List<Path> candidates;
        try (var entries = Files.list(parent)) {
            String own = prefix + ProcessHandle.current().pid() + "-";
            candidates = entries.filter(p -> p.getFileName().toString().startsWith(prefix) && !p.getFileName().toString().startsWith(own)
                    && Files.isDirectory(p)).toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        List<Path> removed = new java.util.ArrayList<>();
        for (Path dir : candidates) {
            Path lockFile = dir.resolve(lockName);
            if (!Files.isRegularFile(lockFile)) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    continue; // its owner lives
                }
                ProcessSandboxBackend.deleteTree(dir);
                removed.add(dir);
            } catch (IOException | OverlappingFileLockException | SecurityException e) {
                // held by this very JVM, gone meanwhile, or not ours to open: leave it
            }
        }
        return removed;
    }
}
