package dev.kavach.backend.sev.qemu;

import dev.kavach.backend.sev.VmPrerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** accel = auto trusts KVM only after a guest really ran under it; this host's broken KVM is played by a stand-in. */
class KvmCheckTest {
    @Test
    void theFiveByteTestGuestRunsAndExitsThroughTheDebugPort(@TempDir Path dir) {
        KvmCheck check = KvmCheck.run(VmPrerequisites.qemu(), dir, Accel.TCG);

        assertThat(check.works()).as(check.detail()).isTrue();
    }

    @Test
    void aKvmThatAbortsAtVcpuSetupIsNotUsedAndTheAnswerIsCachedUntilQemuChanges(@TempDir Path dir) throws Exception {
        // What QEMU 10 does here with -accel kvm under nested virtualisation: an assertion, then SIGABRT (status 134).
        Path qemu = Files.writeString(dir.resolve("qemu"), """
                #!/bin/sh
                echo run >> "$0.runs"
                echo "qemu-system-x86_64: ../accel/kvm/kvm-all.c:1843: kvm_buf_set_msrs: Assertion \\`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
                kill -ABRT $$
                """);
        Files.setPosixFilePermissions(qemu, PosixFilePermissions.fromString("rwx------"));
        Path device = Files.writeString(dir.resolve("kvm"), ""); // opens read-write, as the real /dev/kvm does here
        Path state = dir.resolve("state");

        KvmCheck first = KvmCheck.of(qemu, state, device);
        KvmCheck second = KvmCheck.of(qemu, state, device);

        assertThat(first.works()).isFalse();
        assertThat(first.detail()).contains("could not run a guest", "status 134", "kvm_buf_set_msrs");
        assertThat(first.cached()).isFalse();
        assertThat(second).isEqualTo(new KvmCheck(false, first.detail(), true));
        assertThat(Files.readAllLines(dir.resolve("qemu.runs"))).as("QEMU runs: the second answer came from the cache").hasSize(1);

        Files.writeString(qemu, "# another QEMU build\n", StandardOpenOption.APPEND);
        assertThat(KvmCheck.of(qemu, state, device).cached()).as("a changed QEMU is checked again").isFalse();
        assertThat(Files.readAllLines(dir.resolve("qemu.runs"))).hasSize(2);
    }

    @Test
    void aMissingDeviceIsSaidWithoutRunningQemu(@TempDir Path dir) {
        KvmCheck check = KvmCheck.of(dir.resolve("no-qemu"), dir, dir.resolve("no-kvm"));

        assertThat(check.works()).isFalse();
        assertThat(check.detail()).endsWith("no-kvm does not exist");
    }
}
