package dev.kavach.backend.sev;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sweep of VM directories: a dead owner's go, with the QEMU they name; a live owner's stay, whoever
 * it is (other Kavach JVMs run their tests on this host at the same time).
 */
@Tag("adversarial")
class VmWorkDirsTest {
    @Test
    void aDeadOwnersDirectoryAndItsQemuGoWhileALiveOwnersStay(@TempDir Path root) throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor(10, TimeUnit.SECONDS);
        Path orphan = Files.createDirectory(root.resolve("kavach-vm-orphan"));
        Files.writeString(orphan.resolve(VmWorkDirs.OWNER), VmWorkDirs.stamp(dead.toHandle()));
        // The orphaned "QEMU": a process whose command line names the directory, as QEMU's socket paths do.
        Process qemu = new ProcessBuilder("tail", "-f", orphan.resolve(VmWorkDirs.OWNER).toString()).start();
        VmWorkDirs.recordQemu(orphan, qemu.toHandle());
        Path mine = VmWorkDirs.create(root, "vm");
        Path otherBackend = VmWorkDirs.create(root, "sev");
        Files.writeString(otherBackend.resolve(VmWorkDirs.OWNER), dead.pid() + " 1\n");

        assertThat(VmWorkDirs.sweep(root, "vm")).containsExactly(orphan);

        assertThat(orphan).doesNotExist();
        assertThat(qemu.waitFor(10, TimeUnit.SECONDS)).as("the dead owner's QEMU is killed").isTrue();
        assertThat(mine).as("this live JVM's directory").exists();
        assertThat(otherBackend).as("another backend's directories are its own sweep's").exists();
    }

    @Test
    void aRecycledPidIsNotTheOwnerAndAnUnrelatedProcessIsNeverKilled(@TempDir Path root) throws Exception {
        Process unrelated = new ProcessBuilder("sleep", "60").start();
        try {
            Path dir = Files.createDirectory(root.resolve("kavach-vm-recycled"));
            // The owner's pid now belongs to this JVM, but it started at another time: the owner is dead.
            Files.writeString(dir.resolve(VmWorkDirs.OWNER), ProcessHandle.current().pid() + " 1\n");
            // The recorded QEMU pid is alive and started when recorded, but its command line does not name the directory.
            VmWorkDirs.recordQemu(dir, unrelated.toHandle());

            assertThat(VmWorkDirs.sweep(root, "vm")).containsExactly(dir);
            assertThat(unrelated.isAlive()).as("a process that is not this directory's QEMU").isTrue();
        } finally {
            unrelated.destroyForcibly();
        }
    }

    @Test
    void aDirectoryWithoutOwnerIsLeftUntilItIsADayOld(@TempDir Path root) throws Exception {
        Path fresh = Files.createDirectory(root.resolve("kavach-vm-fresh"));
        Path old = Files.createDirectory(root.resolve("kavach-vm-old"));
        Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 2L * 24 * 3600 * 1000));

        assertThat(VmWorkDirs.sweep(root, "vm")).containsExactly(old);
        assertThat(fresh).exists();
    }
}
