package dev.kavach.backend.sev;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VmSettingsTest {
    private static VmSettings vm(Map<String, String> values) {
        return VmSettings.from(BackendSettings.of("kavach.backends.vm", values), false);
    }

    private static VmSettings sev(Map<String, String> values) {
        return VmSettings.from(BackendSettings.of("kavach.backends.sev", values), true);
    }

    @Test
    void defaults() {
        VmSettings settings = vm(Map.of());
        assertThat(settings.qemuBinary()).isEqualTo("qemu-system-x86_64");
        assertThat(settings.machine()).isEqualTo("q35");
        assertThat(settings.accel()).isEqualTo("auto");
        assertThat(settings.cpuModel()).isEmpty();
        assertThat(settings.kernel()).isEmpty();
        assertThat(settings.initrd()).isEmpty();
        assertThat(settings.busybox()).isEqualTo(Path.of("/bin/busybox"));
        assertThat(settings.bootVmlinux()).isEqualTo("auto");
        assertThat(settings.defaultMemoryMiB()).isEqualTo(512);
        assertThat(settings.maxMemoryMiB()).isEqualTo(8192);
        assertThat(settings.bootTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(settings.snp()).isEmpty();
        VmSettings.Snp snp = sev(Map.of()).snp().orElseThrow();
        assertThat(sev(Map.of()).cpuModel()).isEqualTo("EPYC-v4");
        assertThat(snp.firmware()).isEqualTo(Path.of("/usr/share/ovmf/OVMF.amdsev.fd"));
        assertThat(snp.sevDevice()).isEqualTo(Path.of("/dev/sev"));
        assertThat(snp.cbitpos()).isEmpty();
        assertThat(snp.reducedPhysBits()).isEqualTo(1);
        assertThat(snp.policy()).isEmpty();
        assertThat(snp.kernelHashes()).isTrue();
        assertThat(snp.allowKvmRejectedBits()).isFalse();
        assertThat(snp.effectivePolicy(true).toBits()).isEqualTo(0x30000L);
        assertThat(snp.effectivePolicy(false).toBits()).isEqualTo(0x20000L);
    }

    @Test
    void explicitValues() {
        VmSettings settings = sev(Map.ofEntries(
                Map.entry("qemu", "/opt/q"), Map.entry("accel", "KVM"), Map.entry("cpu", "EPYC-Genoa"), Map.entry("kernel", "/k"),
                Map.entry("initrd", "/i"), Map.entry("modules", "/m"), Map.entry("busybox", "/bb"), Map.entry("append", "mitigations=off"),
                Map.entry("boot-vmlinux", "off"), Map.entry("default-memory", "1G"), Map.entry("max-cpus", "8"), Map.entry("max-memory", "16G"),
                Map.entry("boot-timeout", "45s"), Map.entry("console-tail", "4K"), Map.entry("status-limit", "8K"),
                Map.entry("firmware", "/fw"), Map.entry("sev-device", "/dev/sev2"), Map.entry("cbitpos", "47"), Map.entry("reduced-phys-bits", "5"),
                Map.entry("policy", "0x70000"), Map.entry("policy-smt", "off"), Map.entry("allow-policy-bits-kvm-rejects", "true"),
                Map.entry("kernel-hashes", "off")));
        assertThat(settings.qemuBinary()).isEqualTo("/opt/q");
        assertThat(settings.accel()).isEqualTo("kvm");
        assertThat(settings.cpuModel()).isEqualTo("EPYC-Genoa");
        assertThat(settings.kernel()).contains(Path.of("/k"));
        assertThat(settings.initrd()).contains(Path.of("/i"));
        assertThat(settings.modules()).contains(Path.of("/m"));
        assertThat(settings.busybox()).isEqualTo(Path.of("/bb"));
        assertThat(settings.extraAppend()).isEqualTo("mitigations=off");
        assertThat(settings.bootVmlinux()).isEqualTo("off");
        assertThat(settings.defaultMemoryMiB()).isEqualTo(1024);
        assertThat(settings.maxCpus()).isEqualTo(8);
        assertThat(settings.maxMemoryMiB()).isEqualTo(16384);
        assertThat(settings.bootTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(settings.consoleTailBytes()).isEqualTo(4096);
        assertThat(settings.statusLimitBytes()).isEqualTo(8192);
        VmSettings.Snp snp = settings.snp().orElseThrow();
        assertThat(snp.firmware()).isEqualTo(Path.of("/fw"));
        assertThat(snp.sevDevice()).isEqualTo(Path.of("/dev/sev2"));
        assertThat(snp.cbitpos()).isEqualTo(Optional.of(47));
        assertThat(snp.reducedPhysBits()).isEqualTo(5);
        assertThat(snp.effectivePolicy(false).toBits()).isEqualTo(0x70000L);
        assertThat(snp.allowKvmRejectedBits()).isTrue();
        assertThat(snp.kernelHashes()).isFalse();
    }

    @Test
    void policySmtOverridesTheHostInTheHardenedPolicy() {
        assertThat(sev(Map.of("policy-smt", "on")).snp().orElseThrow().effectivePolicy(false).smtAllowed()).isTrue();
        assertThat(sev(Map.of("policy-smt", "off")).snp().orElseThrow().effectivePolicy(true).smtAllowed()).isFalse();
    }

    @Test
    void aMisspeltKeyIsAnErrorListingTheAcceptedKeys() {
        assertThatThrownBy(() -> vm(Map.of("kernal", "/k")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("unknown setting kavach.backends.vm.kernal")
                .satisfies(e -> assertThat(((ConfigurationException) e).fix()).contains("kernel"));
        assertThatThrownBy(() -> vm(Map.of("cbitpos", "51")))
                .as("SNP keys are not vm keys")
                .hasMessageContaining("unknown setting kavach.backends.vm.cbitpos");
        assertThat(sev(Map.of("attestation.cert-dir", "/certs")).snp()).isPresent();
    }

    @Test
    void invalidValuesNameTheKeyAndWhatIsAccepted() {
        assertThatThrownBy(() -> vm(Map.of("accel", "hvf"))).hasMessageContaining("kavach.backends.vm.accel").hasMessageContaining("auto, kvm, tcg");
        assertThatThrownBy(() -> vm(Map.of("machine", "pc"))).hasMessageContaining("kavach.backends.vm.machine").hasMessageContaining("q35");
        assertThatThrownBy(() -> vm(Map.of("max-cpus", "0"))).hasMessageContaining("kavach.backends.vm.max-cpus");
        assertThatThrownBy(() -> vm(Map.of("max-memory", "32M"))).hasMessageContaining("kavach.backends.vm.max-memory").hasMessageContaining("at least 64M");
        assertThatThrownBy(() -> vm(Map.of("default-memory", "4G", "max-memory", "1G"))).hasMessageContaining("default-memory");
        assertThatThrownBy(() -> vm(Map.of("boot-timeout", "soon"))).hasMessageContaining("kavach.backends.vm.boot-timeout");
        assertThatThrownBy(() -> vm(Map.of("qemu", " "))).hasMessageContaining("kavach.backends.vm.qemu");
        assertThatThrownBy(() -> sev(Map.of("cbitpos", "12"))).hasMessageContaining("kavach.backends.sev.cbitpos").hasMessageContaining("51");
        assertThatThrownBy(() -> sev(Map.of("reduced-phys-bits", "0"))).hasMessageContaining("reduced-phys-bits");
        assertThatThrownBy(() -> sev(Map.of("policy", "0x10000"))).hasMessageContaining("kavach.backends.sev.policy").hasMessageContaining("bit 17");
        assertThatThrownBy(() -> sev(Map.of("policy", "0x4000030000"))).hasMessageContaining("must-be-zero");
        assertThatThrownBy(() -> sev(Map.of("policy-smt", "maybe"))).hasMessageContaining("policy-smt");
    }
}
