package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;
import dev.kavach.backend.sev.snp.SnpLaunch;

import dev.kavach.api.ConfigurationException;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kavach.backend.sev.TranslatorFixtures.boot;
import static dev.kavach.backend.sev.TranslatorFixtures.channels;
import static dev.kavach.backend.sev.TranslatorFixtures.settings;
import static dev.kavach.backend.sev.TranslatorFixtures.snp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QemuTranslatorTest {
    private static final SnpGuestPolicy HARDENED = SnpGuestPolicy.hardened(true);

    private static QemuArgs snpArgs(SandboxPolicy policy, Map<String, String> settings) {
        return QemuTranslator.translate(policy, settings(true, settings), Accel.KVM, boot(), channels(), snp(HARDENED));
    }

    @Test
    void snpLaunchUsesUpstreamQemuSyntax() {
        QemuArgs args = snpArgs(SandboxPolicy.strict(), Map.of());

        assertThat(args.argv().get(0)).isEqualTo("qemu-system-x86_64");
        assertThat(args.argv()).contains("-nodefaults", "-no-reboot");
        assertThat(args.value("-display")).contains("none");
        assertThat(args.value("-accel")).contains("kvm");
        assertThat(args.value("-machine")).contains("q35,confidential-guest-support=sev0,memory-backend=ram0,vmport=off");
        assertThat(args.value("-cpu")).contains("EPYC-v4");
        assertThat(args.optionList("-object", "memory-backend-memfd"))
                .contains("memory-backend-memfd,id=ram0,size=512M,share=true,prealloc=false");
        assertThat(args.optionList("-object", "sev-snp-guest")).contains("sev-snp-guest,id=sev0,sev-device=/dev/sev,policy=0x30000,cbitpos=51,"
                + "reduced-phys-bits=1,kernel-hashes=on,host-data=" + Base64.getEncoder().encodeToString(TranslatorFixtures.HOST_DATA));
        assertThat(args.value("-bios")).contains("/fw/OVMF.amdsev.fd");
        assertThat(args.value("-kernel")).contains("/k/vmlinuz");
        assertThat(args.value("-initrd")).contains("/k/initrd.gz");
        assertThat(args.value("-append")).contains(GuestBoot.BASE_APPEND);
        assertThat(args.values("-object")).noneMatch(o -> o.contains("memory-backend-memfd-private"));
    }

    @Test
    void everyVirtioDeviceIsModernOnlyBehindThePlatformIommu() {
        QemuArgs args = snpArgs(SandboxPolicy.basic(), Map.of());
        List<String> virtio = args.values("-device").stream().filter(d -> d.startsWith("virtio-")).toList();
        assertThat(virtio).isNotEmpty().allSatisfy(d -> assertThat(d).contains("disable-legacy=on", "iommu_platform=on"));
    }

    @Test
    void eachChannelIsAVirtioSerialPortOfItsOwnOnAUnixSocket() {
        QemuArgs args = snpArgs(SandboxPolicy.basic(), Map.of());
        assertThat(args.values("-chardev")).containsExactly(
                "socket,id=qmp,path=/run/kavach/vm1/qmp.sock",
                "socket,id=task,path=/run/kavach/vm1/task.sock",
                "socket,id=stdout,path=/run/kavach/vm1/stdout.sock",
                "socket,id=stderr,path=/run/kavach/vm1/stderr.sock",
                "socket,id=status,path=/run/kavach/vm1/status.sock");
        assertThat(args.values("-device")).contains(
                "virtserialport,bus=vser0.0,chardev=task,name=kavach.task",
                "virtserialport,bus=vser0.0,chardev=stdout,name=kavach.stdout",
                "virtserialport,bus=vser0.0,chardev=stderr,name=kavach.stderr",
                "virtserialport,bus=vser0.0,chardev=status,name=kavach.status");
        assertThat(args.value("-mon")).contains("chardev=qmp,mode=control");
        assertThat(args.value("-serial")).contains("stdio");
    }

    @Test
    void thePlainVmHasNoSnpPartsAndTheSameGuest() {
        QemuArgs args = QemuTranslator.translate(SandboxPolicy.basic(), settings(false, Map.of()), Accel.TCG, boot(), channels(), Optional.empty());
        assertThat(args.value("-machine")).contains("q35,vmport=off");
        assertThat(args.value("-accel")).contains("tcg");
        assertThat(args.values("-object")).isEmpty();
        assertThat(args.value("-bios")).isEmpty();
        assertThat(args.value("-cpu")).isEmpty();
        assertThat(args.value("-kernel")).contains("/k/vmlinuz");
        assertThat(args.values("-device")).contains("virtserialport,bus=vser0.0,chardev=status,name=kavach.status");
        QemuArgs kvm = QemuTranslator.translate(SandboxPolicy.basic(), settings(false, Map.of()), Accel.KVM, boot(), channels(), Optional.empty());
        assertThat(kvm.value("-accel")).contains("kvm");
        assertThat(kvm.value("-cpu")).as("a KVM guest sees the host CPU unless a model is set").contains("host");
    }

    @Test
    void everyVmRunsUnderQemusSeccompSandboxDenyingPrivilegeSpawnAndResourceCalls() {
        for (Optional<SnpLaunch> snp : List.of(Optional.<SnpLaunch>empty(), snp(SnpGuestPolicy.hardened(false)))) {
            QemuArgs args = QemuTranslator.translate(SandboxPolicy.basic(), settings(snp.isPresent(), Map.of()), Accel.KVM, boot(), channels(), snp);
            assertThat(args.values("-sandbox")).containsExactly("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        }
    }

    @ParameterizedTest(name = "policy cpus {0} -> {1} vCPUs")
    @CsvSource({"0, 1", "0.25, 1", "1, 1", "1.01, 2", "2.5, 3", "4, 4"})
    void vcpusAreTheCpuLimitRoundedUpAndAtLeastOne(double cpus, int vcpus) {
        assertThat(snpArgs(SandboxPolicy.basic().withCpus(cpus), Map.of()).value("-smp")).contains(String.valueOf(vcpus));
    }

    @Test
    void moreCpusThanMaxCpusIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> snpArgs(SandboxPolicy.basic().withCpus(4.5), Map.of()))
                .isInstanceOf(PolicyNotEnforceableException.class)
                .hasMessageContaining("kavach.backends.sev.max-cpus allows at most 4");
    }

    @Test
    void memoryIsThePolicyLimitOrTheDefaultAndBothRamObjectsAgree() {
        QemuArgs limited = snpArgs(SandboxPolicy.basic().withMemoryMiB(1536), Map.of());
        assertThat(limited.value("-m")).contains("1536M");
        assertThat(limited.optionList("-object", "memory-backend-memfd").orElseThrow()).contains("size=1536M");
        QemuArgs unlimited = snpArgs(SandboxPolicy.basic().withMemoryMiB(0), Map.of("default-memory", "768M"));
        assertThat(unlimited.value("-m")).contains("768M");
    }

    @Test
    void memoryAboveMaxMemoryOrBelowWhatABootNeedsIsRefused() {
        assertThatThrownBy(() -> snpArgs(SandboxPolicy.basic().withMemoryMiB(8192), Map.of()))
                .isInstanceOf(PolicyNotEnforceableException.class)
                .hasMessageContaining("kavach.backends.sev.max-memory allows at most 4096 MiB");
        assertThatThrownBy(() -> snpArgs(SandboxPolicy.basic().withMemoryMiB(16), Map.of()))
                .isInstanceOf(PolicyNotEnforceableException.class)
                .hasMessageContaining("at least 64 MiB");
    }

    @Test
    void policyCbitposReducedPhysBitsHostDataAndKernelHashesComeFromTheLaunch() {
        SnpGuestPolicy policy = SnpGuestPolicy.fromBits(0x1_0000L | (1L << 17) | (1L << 19) | 0x0203);
        byte[] hostData = new byte[32];
        hostData[31] = (byte) 0xFF;
        Optional<SnpLaunch> launch = Optional.of(new SnpLaunch(policy, 47, 5, hostData, Path.of("/fw/ovmf.fd"), Path.of("/dev/sev"), false));
        QemuArgs args = QemuTranslator.translate(SandboxPolicy.basic(), settings(true, Map.of()), Accel.KVM, boot(), channels(), launch);
        assertThat(args.optionList("-object", "sev-snp-guest").orElseThrow())
                .contains(",policy=0xb0203,", ",cbitpos=47,", ",reduced-phys-bits=5,", ",kernel-hashes=off,",
                        ",host-data=" + Base64.getEncoder().encodeToString(hostData));
    }

    @Test
    void settingsReachTheCommandLine() {
        QemuArgs args = snpArgs(SandboxPolicy.basic(), Map.of("qemu", "/opt/qemu/bin/qemu-system-x86_64", "cpu", "EPYC-Genoa"));
        assertThat(args.argv().get(0)).isEqualTo("/opt/qemu/bin/qemu-system-x86_64");
        assertThat(args.value("-cpu")).contains("EPYC-Genoa");
    }

    @Test
    void commasInOptionValuesAreDoubledSoNoOptionCanBeInjected() {
        VmChannels channels = VmChannels.in(Path.of("/tmp/x,sev-device=/dev/evil,a=b"));
        Optional<SnpLaunch> launch = Optional.of(new SnpLaunch(HARDENED, 51, 1, TranslatorFixtures.HOST_DATA, Path.of("/fw/o.fd"),
                Path.of("/dev/sev,policy=0x1"), true));
        QemuArgs args = QemuTranslator.translate(SandboxPolicy.basic(), settings(true, Map.of("cpu", "EPYC,+sev")), Accel.KVM, boot(), channels, launch);
        assertThat(args.values("-chardev")).contains("socket,id=task,path=/tmp/x,,sev-device=/dev/evil,,a=b/task.sock");
        assertThat(args.optionList("-object", "sev-snp-guest").orElseThrow()).contains("sev-device=/dev/sev,,policy=0x1,policy=0x30000");
        assertThat(args.value("-cpu")).contains("EPYC,,+sev");
    }

    @Test
    void pathsQemuTakesWholeAreNotSplitSoTheyPassUnchanged() {
        GuestBoot boot = new GuestBoot(Path.of("/k/a,b=c/vmlinuz"), Path.of("/k/a,initrd=x/initrd"), GuestBoot.BASE_APPEND);
        QemuArgs args = QemuTranslator.translate(SandboxPolicy.basic(), settings(false, Map.of()), Accel.TCG, boot, channels(), Optional.empty());
        // -kernel, -initrd and -bios take a file name, never an option list: doubling a comma there would name another file.
        assertThat(args.value("-kernel")).contains("/k/a,b=c/vmlinuz");
        assertThat(args.value("-initrd")).contains("/k/a,initrd=x/initrd");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/k/vm\nlinuz", "/k/vm\0linuz", "/k/vm\rlinuz", "/k/vm\u001blinuz"})
    void controlCharactersAreRejectedNamingTheSetting(String kernel) {
        GuestBoot boot = new GuestBoot(Path.of("/ok"), Path.of("/ok"), GuestBoot.BASE_APPEND);
        assertThatThrownBy(() -> QemuTranslator.translate(SandboxPolicy.basic(), settings(false, Map.of("qemu", kernel)), Accel.TCG, boot, channels(),
                Optional.empty()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("kavach.backends.vm.qemu contains control character");
        GuestBoot badAppend = new GuestBoot(Path.of("/ok"), Path.of("/ok"), "console=ttyS0" + kernel.substring(5, 6) + "init=/bin/sh");
        assertThatThrownBy(() -> QemuTranslator.translate(SandboxPolicy.basic(), settings(false, Map.of()), Accel.TCG, badAppend, channels(),
                Optional.empty()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("kavach.backends.vm.append");
    }

    @Test
    void aControlCharacterInAChannelPathIsRejected() {
        assertThatThrownBy(() -> QemuTranslator.translate(SandboxPolicy.basic(), settings(false, Map.of()), Accel.TCG, boot(),
                VmChannels.in(Path.of("/tmp/a\nb")), Optional.empty()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("channel socket path");
    }

    @Test
    void theTranslationIsPure() {
        assertThat(snpArgs(SandboxPolicy.strict(), Map.of())).isEqualTo(snpArgs(SandboxPolicy.strict(), Map.of()));
    }
}
