package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.QemuArgs;

import dev.kavach.api.OutputListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The executor's boot deadline and failure reporting, with stand-ins for QEMU that misbehave on purpose. */
class QemuRunnerTest {
    private static final QemuRunner.Limits LIMITS = new QemuRunner.Limits(Duration.ofSeconds(2), Duration.ofSeconds(5), 1024, 4096, 4096);

    private static Path script(Path dir, String body) throws Exception {
        Path file = dir.resolve("fake-qemu");
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    @Test
    void aQemuThatNeverConnectsIsStoppedAtTheBootDeadlineWithItsChildren(@TempDir Path dir) throws Exception {
        Path fake = script(dir, "echo starting; sleep 600 & echo $! > " + dir.resolve("child.pid") + "; sleep 600");
        VmChannels channels = VmChannels.in(Files.createDirectories(dir.resolve("s")));

        QemuRunner.Run run = QemuRunner.run(new QemuArgs(List.of(fake.toString())), channels, new byte[0], LIMITS, OutputListener.NONE);

        assertThat(run.bootFailure()).hasValueSatisfying(reason -> assertThat(reason).contains("did not connect its channels within 2 s"));
        assertThat(run.console().text()).contains("starting");
        assertThat(ProcessHandle.of(run.qemuPid()).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        long child = Long.parseLong(Files.readString(dir.resolve("child.pid")).trim());
        assertThat(running(child)).as("the stand-in's child " + child + " (a zombie waiting for init to reap it counts as stopped)").isFalse();
        assertThat(Files.list(channels.qmp().getParent()).toList()).as("sockets removed").isEmpty();
    }

    /** Whether a process runs: it exists and is not a zombie (killed, its exit status not yet collected by its new parent). */
    static boolean running(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text;
        try {
            text = Files.readString(stat);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
    }

    @Test
    void aQemuThatExitsAtOnceIsABootFailureQuotingWhatItSaid(@TempDir Path dir) throws Exception {
        Path fake = script(dir, "echo 'qemu-system-x86_64: -object sev-snp-guest: KVM required' >&2; exit 1");

        QemuRunner.Run run = QemuRunner.run(new QemuArgs(List.of(fake.toString())), VmChannels.in(dir), new byte[0], LIMITS, OutputListener.NONE);

        assertThat(run.bootFailure()).hasValueSatisfying(reason -> assertThat(reason).contains("QEMU exited (status 1)"));
        assertThat(run.qemuLog().lastLines(5)).contains("KVM required");
        assertThat(run.qemuExit()).contains(1);
    }
}
