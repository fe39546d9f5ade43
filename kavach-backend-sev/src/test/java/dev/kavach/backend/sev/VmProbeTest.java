package dev.kavach.backend.sev;

import dev.kavach.backend.sev.qemu.QemuLauncher;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ProbeCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class VmProbeTest {
    private static Availability probe(String id, Map<String, String> settings, Path stateDir) {
        BackendContext context = new BackendContext(id, BackendSettings.of("kavach.backends." + id, settings), stateDir, "0.1.0");
        return id.equals("sev") ? new SevBackendProvider().probe(context) : new VmBackendProvider().probe(context);
    }

    @Test
    void vmIsAvailableWithAKernelAndFallsBackToTcgWithoutKvm(@TempDir Path state) {
        VmPrerequisites.qemu();
        VmPrerequisites.busybox();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        Availability availability = probe("vm", Map.of("kernel", kernel.kernel().toString()), state);
        assertThat(availability.problems()).isEmpty();
        assertThat(availability.available()).isTrue();
        assertThat(availability.checks()).extracting(ProbeCheck::name).contains("qemu", "kvm", "kernel", "modules", "busybox");
        if (!VmProbe.kvmUsable()) {
            assertThat(availability.missingOptional()).singleElement().satisfies(check -> {
                assertThat(check.name()).isEqualTo("kvm");
                assertThat(check.detail()).contains("TCG");
            });
        }
    }

    @Test
    void vmWithoutAKernelSaysHowToGetOne(@TempDir Path state) {
        Availability availability = probe("vm", Map.of(), state);
        assertThat(availability.available()).isFalse();
        assertThat(availability.problems()).anySatisfy(check -> {
            assertThat(check.name()).isEqualTo("kernel");
            assertThat(check.fix()).contains("kavach sev fetch-kernel");
        });
    }

    @Test
    void sevOnAHostWithoutSnpListsEveryMissingPrerequisiteWithItsFix(@TempDir Path state) {
        VmPrerequisites.qemu();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        Availability availability = probe("sev", Map.of("kernel", kernel.kernel().toString(), "firmware", "/usr/share/ovmf/OVMF.fd"), state);
        assertThat(availability.checks()).filteredOn(ProbeCheck::name, "qemu").singleElement()
                .satisfies(check -> assertThat(check.passed()).as(check.detail()).isTrue());
        if (!Files.exists(Path.of("/dev/sev"))) {
            assertThat(availability.available()).isFalse();
            assertThat(availability.problems()).extracting(ProbeCheck::name).contains("sev-device", "snp-enabled");
            assertThat(availability.problems()).filteredOn(ProbeCheck::name, "snp-enabled").singleElement()
                    .satisfies(check -> assertThat(check.fix()).contains("sev_snp=1"));
        }
        // Debian's generic OVMF has SNP metadata but no kernel hash table: the probe says to use the AmdSev build.
        assertThat(availability.checks()).filteredOn(ProbeCheck::name, "firmware").singleElement().satisfies(check -> {
            assertThat(check.passed()).isFalse();
            assertThat(check.detail()).contains("no kernel hash table");
            assertThat(check.fix()).contains("AmdSevX64.dsc");
        });
        assertThat(availability.checks()).filteredOn(ProbeCheck::name, "policy").singleElement()
                .satisfies(check -> assertThat(check.passed()).isTrue());
    }

    @Test
    void theExpectedMeasurementsAreAnOptionalWellFormedAllowList(@TempDir Path state) {
        // Kavach pins the measurement it computes per launch, so no allow-list is needed to run.
        assertThat(probe("sev", Map.of(), state).checks()).filteredOn(ProbeCheck::name, "expected-measurement").singleElement()
                .satisfies(check -> {
                    assertThat(check.passed()).isTrue();
                    assertThat(check.detail()).contains("pinned to the measurement Kavach computes")
                            .contains("kavach.backends.sev.attestation.expected-measurements");
                });
        assertThat(probe("sev", Map.of("attestation.expected-measurements", "abc"), state).problems())
                .filteredOn(ProbeCheck::name, "expected-measurement").singleElement()
                .satisfies(check -> assertThat(check.detail()).contains("not a 48-byte measurement"));
        assertThat(probe("sev", Map.of("attestation.expected-measurements", "ab".repeat(48)), state).checks())
                .filteredOn(ProbeCheck::name, "expected-measurement").singleElement()
                .satisfies(check -> assertThat(check.passed()).isTrue());
        assertThat(probe("vm", Map.of(), state).checks()).extracting(ProbeCheck::name).doesNotContain("expected-measurement");
    }

    @Test
    void aPolicyKvmRefusesIsAProblemUnlessAllowed(@TempDir Path state) {
        Availability refused = probe("sev", Map.of("policy", "0x70000"), state);
        assertThat(refused.problems()).filteredOn(ProbeCheck::name, "policy").singleElement()
                .satisfies(check -> assertThat(check.detail()).contains("migration agent (bit 18)"));
        Availability allowed = probe("sev", Map.of("policy", "0x70000", "allow-policy-bits-kvm-rejects", "true"), state);
        assertThat(allowed.checks()).filteredOn(ProbeCheck::name, "policy").singleElement()
                .satisfies(check -> assertThat(check.detail()).contains("WARNING"));
    }

    @Test
    void badSettingsAreOneFailedCheckNamingTheKey(@TempDir Path state) {
        Availability availability = probe("vm", Map.of("acel", "kvm"), state);
        assertThat(availability.problems()).singleElement().satisfies(check -> assertThat(check.detail()).contains("kavach.backends.vm.acel"));
    }

    @Test
    void aSevDeviceOnlyRootCanOpenIsNamedForTheDroppedQemuWithTheFix(@TempDir Path dir) throws Exception {
        VmPrerequisites.require(QemuLauncher.runningAsRoot(), "root, to give a stand-in device a group");
        Path device = Files.createFile(dir.resolve("sev"));
        Files.setAttribute(device, "unix:mode", 0600);
        ProbeCheck rootOnly = VmProbe.sevDeviceForDroppedQemu(device);
        assertThat(rootOnly.passed()).isFalse();
        assertThat(rootOnly.detail()).contains("mode 600", "gives it no access");
        assertThat(rootOnly.fix()).contains("chgrp kvm " + device, "chmod 660");

        Files.setAttribute(device, "unix:gid", 100);
        Files.setAttribute(device, "unix:mode", 0660);
        assertThat(VmProbe.sevDeviceForDroppedQemu(device).passed()).isTrue();
    }
}
