package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.GuestImageBuilder;
import dev.kavach.backend.sev.guest.GuestKernelCheck;
import dev.kavach.backend.sev.guest.KernelModules;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.SnpExecAttestor;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxException;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.SimulatedPsp;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Debian's 6.12 guest kernel, the one {@code sev} recommends: its report modules come as {@code .ko.xz} and
 * are decompressed into the image, the probe accepts it where it refuses 6.1, and the real guest agent's
 * report request reaches configfs-tsm under TCG and fails closed there, since no SEV firmware answers.
 */
class GuestKernel612Test {
    @Test
    void theReportModulesAreFoundCompressedAndOrderedAndVirtioIsBuiltIn() throws IOException {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel612();
        KernelModules modules = KernelModules.scan(kernel.modules());
        assertThat(modules.file("tsm").getFileName().toString()).isEqualTo("tsm.ko.xz");
        assertThat(modules.loadOrder(GuestSetup.wantedModules(true))).containsExactly("configfs", "tsm", "sev_guest");
        byte[] elf = modules.bytes("sev-guest");
        assertThat(elf).startsWith(0x7F, 'E', 'L', 'F');
        assertThat(KernelModules.dependencies(elf, modules.file("sev-guest"))).containsExactly("tsm");
        assertThat(modules.builtIn("virtio_console")).isTrue();
        assertThat(modules.has("virtio_console")).isFalse();
    }

    @Test
    void theProbeAcceptsTheReportCapableKernelAndSendsTheOlderOneToFetchKernel() throws IOException {
        VmPrerequisites.GuestKernel k612 = VmPrerequisites.kernel612();
        VmPrerequisites.GuestKernel k61 = VmPrerequisites.kernel();
        ProbeCheck ok = GuestKernelCheck.reports(KernelModules.scan(k612.modules()), k612.modules());
        assertThat(ok.passed()).as(ok.detail()).isTrue();
        ProbeCheck missing = GuestKernelCheck.reports(KernelModules.scan(k61.modules()), k61.modules());
        assertThat(missing.passed()).isFalse();
        assertThat(missing.detail()).contains("no configfs-tsm report module").doesNotContain("sev-guest driver");
        assertThat(missing.fix()).contains("kavach sev fetch-kernel");
    }

    @Test
    @Tag("slow")
    void theRealAgentsReportRequestReachesConfigfsTsmAndFailsClosed(@TempDir Path dir) throws Exception {
        VmPrerequisites.qemu();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel612();
        // The production image (production attest script), with the 6.12 report modules decompressed into it.
        GuestImageBuilder.Image image = GuestImageBuilder.build(VmPrerequisites.busybox(), kernel.modules(), GuestSetup.wantedModules(true),
                VmPrerequisites.stateDir().resolve("images"), null);
        assertThat(image.modules()).contains("configfs", "tsm", "sev_guest");
        // The wrapper still offers the simulated PSP's port: the production agent must not use it.
        try (SimulatedSnpHost host = new SimulatedSnpHost(dir, new SimulatedPsp())) {
            VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.sev", Map.of("kernel", kernel.kernel().toString(),
                    "qemu", host.qemuWrapper.toString(), "boot-timeout", "300s")), true);
            ExecAttestor attestor = new SnpExecAttestor("job-612", Map.of(), new CertificateStore(dir.resolve("certs"), null),
                    host.psp.verifier(),
                    dev.kavach.attestation.snp.AppraisalPolicy.defaults().withExpectedMeasurement("00".repeat(48)).withLaunchedPolicy(0x30000));
            VmBackend.Snp snp = new VmBackend.Snp(SnpGuestPolicy.hardened(false), 51, 1, OvmfKernelHashesProbeTest.suffix(dir, "ovmf_AmdSev_suffix.bin"), Path.of("/dev/sev"), true, attestor);
            try (VmBackend backend = new VmBackend("sev", settings, Accel.TCG, new GuestBoot(kernel.kernel(), image.initrd(), GuestBoot.BASE_APPEND),
                    Optional.of(snp), dir)) {
                assertThatThrownBy(() -> backend.exec(ExecRequest.of("echo", "hi")))
                        .isInstanceOf(SandboxException.class)
                        .hasMessageContaining("the sev guest returned no attestation report")
                        .hasMessageContaining("configfs-tsm is present but has no report provider")
                        .hasMessageContaining("the result is not trusted");
            }
            assertThat(host.requests()).as("the production agent never asks the simulated PSP").isEmpty();
        }
    }
}
