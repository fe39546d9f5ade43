package dev.kavach.backend.sev;

import dev.kavach.backend.sev.snp.OvmfImage;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ProbeCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sev probe requires the firmware's SNP kernel-hashes metadata section and a guest kernel that can ask
 * for reports, and names the fix for each. Firmware: the last 4 KiB of real edk2 builds (AmdSev and the
 * standard OvmfPkgX64), test resources from sev-snp-measure (see their README).
 */
class OvmfKernelHashesProbeTest {
    static Path suffix(Path dir, String name) throws IOException {
        try (InputStream in = OvmfKernelHashesProbeTest.class.getResourceAsStream("/sev-snp-measure/" + name)) {
            Path file = dir.resolve(name);
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    @Test
    void theAmdSevBuildHasTheKernelHashesSectionAndTheStandardBuildDoesNot(@TempDir Path dir) throws IOException {
        OvmfImage amdSev = OvmfImage.read(suffix(dir, "ovmf_AmdSev_suffix.bin"));
        assertThat(amdSev.snpMetadata()).isTrue();
        assertThat(amdSev.kernelHashesSection()).isTrue();
        assertThat(amdSev.hashTableSize()).isPositive();
        assertThat(amdSev.snpDirectBoot()).isTrue();
        OvmfImage standard = OvmfImage.read(suffix(dir, "ovmf_OvmfX64_suffix.bin"));
        assertThat(standard.snpMetadata()).isTrue();
        assertThat(standard.kernelHashesSection()).isFalse();
        assertThat(standard.snpDirectBoot()).isFalse();
    }

    @Test
    void theProbeRefusesFirmwareWithoutTheSectionAndNamesTheBuildThatHasIt(@TempDir Path dir) throws IOException {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        Availability standard = probe(dir, kernel, suffix(dir, "ovmf_OvmfX64_suffix.bin"));
        assertThat(standard.checks()).filteredOn(ProbeCheck::name, "firmware").singleElement().satisfies(check -> {
            assertThat(check.passed()).isFalse();
            assertThat(check.detail()).contains("no SNP kernel-hashes metadata section").contains("not the AmdSev one");
            assertThat(check.fix()).contains("OvmfPkg/AmdSev/AmdSevX64.dsc");
        });
        Availability amdSev = probe(dir, kernel, suffix(dir, "ovmf_AmdSev_suffix.bin"));
        assertThat(amdSev.checks()).filteredOn(ProbeCheck::name, "firmware").singleElement()
                .satisfies(check -> assertThat(check.passed()).as(check.detail()).isTrue());
        // Debian's 6.1 kernel cannot ask for a report: the probe says so and points at fetch-kernel.
        assertThat(amdSev.checks()).filteredOn(ProbeCheck::name, "guest-reports").singleElement().satisfies(check -> {
            assertThat(check.passed()).isFalse();
            assertThat(check.detail()).contains("CONFIG_TSM_REPORTS");
            assertThat(check.fix()).contains("kavach sev fetch-kernel");
        });
    }

    private static Availability probe(Path state, VmPrerequisites.GuestKernel kernel, Path firmware) {
        BackendContext context = new BackendContext("sev", BackendSettings.of("kavach.backends.sev",
                Map.of("kernel", kernel.kernel().toString(), "firmware", firmware.toString())), state, "0.1.0");
        return new SevBackendProvider().probe(context);
    }
}
