package dev.kavach.backend.sev.qemu;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A uid of its own for one QEMU process, held with an flock on {@code <dir>/<uid>.lock} for the VM's
 * lifetime, so that no two VMs (of this JVM or any other Kavach on the host) share one: a QEMU that a guest
 * took over cannot signal, trace or read another VM's QEMU. The uids have no passwd entry and own nothing
 * but the VM's socket directory. A dead owner's lock goes with its process.
 */
public final class QemuUidLease implements AutoCloseable {
    /** The range QEMU uids come from: high, far from distribution users and the usual subuid ranges. */
    public static final int FIRST = 2_100_000_000;
    public static final int COUNT = 65_536;
    /** Where the locks live: root-only, since only a root Kavach drops QEMU to another uid. */
    public static final Path LOCK_DIR = Path.of("/run/kavach/qemu-uids");

    private final int uid;
    private final FileChannel channel;
    private final FileLock lock;

    private QemuUidLease(int uid, FileChannel channel, FileLock lock) {
        this.uid = uid;
        this.channel = channel;
        this.lock = lock;
    }

    public int uid() {
        return uid;
    }

    /** Takes a free uid of the range, starting at a random one; fails naming the lock directory when none is free. */
    public static QemuUidLease acquire(Path dir) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0
                || ((int) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0022) != 0) {
            throw new IOException(dir + " must be a directory owned by root and writable by root only (it holds the QEMU uid locks)");
        }
        int start = ThreadLocalRandom.current().nextInt(COUNT);
        for (int i = 0; i < COUNT; i++) {
            int uid = FIRST + (start + i) % COUNT;
            FileChannel channel = FileChannel.open(dir.resolve(uid + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new QemuUidLease(uid, channel, lock);
                }
            } catch (OverlappingFileLockException e) {
                // held by another VM of this JVM
            }
            channel.close();
        }
        throw new IOException("all " + COUNT + " QEMU uids from " + FIRST + " are in use (locks in " + dir + ")");
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
