package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.qemu.QemuBinary;
import dev.kavach.backend.sev.qemu.QemuOptionValue;
import dev.kavach.backend.sev.snp.SnpLaunch;

import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Translates a sandbox policy, the backend settings and one VM's channels into a QEMU command line in
 * upstream QEMU 9.1+ syntax. A pure function: no host access, the same input always gives the same argv.
 *
 * <p>With an {@link SnpLaunch} the guest is an SEV-SNP confidential VM: {@code confidential-guest-support}
 * on the machine, a memfd RAM backend (QEMU adds guest_memfd itself), {@code sev-snp-guest} with policy,
 * C-bit, host data and measured direct boot, and the AmdSev OVMF as {@code -bios}. Without one, the same
 * guest and agent run in a plain VM. Every value inside an option list is escaped ({@code ,} becomes
 * {@code ,,}); values with control characters are rejected, naming the setting.
 */
final class QemuTranslator {
    private static final String PORT_BUS = "vser0.0";
    private static final String VIRTIO_HARDENING = "disable-legacy=on,iommu_platform=on";
    private QemuTranslator() {
    }

    /**
     * @param policy   the exec's policy: CPUs (rounded up, at least 1) and memory
     * @param settings the backend's settings (binary, machine, CPU model, maxima)
     * @param accel    the accelerator, already resolved from {@code accel = auto}
     * @param boot     kernel, initrd and command line
     * @param channels the host's socket paths
     * @param snp      the SEV-SNP launch, or empty for a plain VM
     * @throws PolicyNotEnforceableException when the policy asks for more CPUs or memory than the settings allow
     * @throws dev.kavach.api.ConfigurationException when a value cannot be passed to QEMU safely
     */
    public static QemuArgs translate(SandboxPolicy policy, VmSettings settings, Accel accel, GuestBoot boot, VmChannels channels,
                                     Optional<SnpLaunch> snp) {
        requireNonNull(policy, "policy is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(accel, "accel is null");
        requireNonNull(boot, "boot is null");
        requireNonNull(channels, "channels is null");
        requireNonNull(snp, "snp is null");
        return translate(GuestLaunch.plan(policy, settings, accel, boot, snp), settings, channels);
    }

    /**
     * The command line of a launch already decided; everything that reaches the launch measurement
     * ({@code -smp}, {@code -cpu}, {@code -bios}, {@code -kernel}, {@code -initrd}, {@code -append},
     * {@code kernel-hashes}) comes from {@code launch} and nowhere else.
     */
    public static QemuArgs translate(GuestLaunch launch, VmSettings settings, VmChannels channels) {
        requireNonNull(launch, "launch is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(channels, "channels is null");
        Optional<SnpLaunch> snp = launch.snp();
        GuestBoot boot = launch.boot();
        String prefix = GuestLaunch.prefix(snp.isPresent());
        long memoryMiB = launch.memoryMiB();

        List<String> argv = new ArrayList<>();
        argv.add(QemuOptionValue.requireSafe(prefix + "qemu", settings.qemuBinary()));
        argv.addAll(List.of("-nodefaults", "-no-user-config", "-no-reboot", "-display", "none"));
        argv.addAll(List.of("-sandbox", QemuBinary.SANDBOX));
        argv.addAll(List.of("-accel", launch.accel().qemuName()));
        if (snp.isPresent()) {
            argv.addAll(List.of("-machine", settings.machine() + ",confidential-guest-support=sev0,memory-backend=ram0,vmport=off"));
        } else {
            argv.addAll(List.of("-machine", settings.machine() + ",vmport=off"));
        }
        launch.cpuModel().ifPresent(cpu -> argv.addAll(List.of("-cpu", QemuOptionValue.escape(prefix + "cpu", cpu))));
        argv.addAll(List.of("-smp", String.valueOf(launch.vcpus()), "-m", memoryMiB + "M"));
        snp.ifPresent(sev -> {
            argv.addAll(List.of("-object", "memory-backend-memfd,id=ram0,size=" + memoryMiB + "M,share=true,prealloc=false"));
            argv.addAll(List.of("-object", "sev-snp-guest,id=sev0"
                    + ",sev-device=" + QemuOptionValue.escape(prefix + "sev-device", sev.sevDevice().toString())
                    + ",policy=" + sev.policy().toHex()
                    + ",cbitpos=" + sev.cbitpos()
                    + ",reduced-phys-bits=" + sev.reducedPhysBits()
                    + ",kernel-hashes=" + (sev.kernelHashes() ? "on" : "off")
                    + ",host-data=" + Base64.getEncoder().encodeToString(sev.hostData())));
            // -bios takes a plain file name (never split at commas), so it is checked, not escaped.
            argv.addAll(List.of("-bios", QemuOptionValue.requireSafe(prefix + "firmware", sev.firmware().toString())));
        });
        argv.addAll(List.of("-kernel", QemuOptionValue.requireSafe(prefix + "kernel", boot.kernel().toString())));
        argv.addAll(List.of("-initrd", QemuOptionValue.requireSafe(prefix + "initrd", boot.initrd().toString())));
        argv.addAll(List.of("-append", QemuOptionValue.requireSafe(prefix + "append", boot.append())));
        // The serial console carries kernel and agent diagnostics only; QEMU's stdout is read into a bounded tail.
        argv.addAll(List.of("-serial", "stdio"));
        argv.addAll(List.of("-chardev", socket("qmp", channels.qmp().toString(), prefix), "-mon", "chardev=qmp,mode=control"));
        argv.addAll(List.of("-device", "virtio-serial-pci,id=vser0," + VIRTIO_HARDENING + ",max_ports=8"));
        port(argv, "task", VmChannels.TASK_PORT, channels.task().toString(), prefix);
        port(argv, "stdout", VmChannels.STDOUT_PORT, channels.stdout().toString(), prefix);
        port(argv, "stderr", VmChannels.STDERR_PORT, channels.stderr().toString(), prefix);
        port(argv, "status", VmChannels.STATUS_PORT, channels.status().toString(), prefix);
        return new QemuArgs(argv);
    }

    /** vCPUs for a policy: its CPU limit rounded up, at least 1, at most {@code max-cpus}. */
    static int vcpus(SandboxPolicy policy, VmSettings settings, String prefix) {
        int vcpus = (int) Math.max(1, Math.ceil(policy.cpus()));
        if (policy.cpus() > settings.maxCpus()) {
            throw new PolicyNotEnforceableException(
                    "the policy asks for " + policy.cpus() + " CPUs; " + prefix + "max-cpus allows at most " + settings.maxCpus(),
                    "lower the policy's CPU limit or raise " + prefix + "max-cpus");
        }
        return vcpus;
    }

    /** Guest memory for a policy: its limit, or {@code default-memory} when it sets none, at most {@code max-memory}. */
    static long memoryMiB(SandboxPolicy policy, VmSettings settings, String prefix) {
        long memory = policy.memoryMiB() == 0 ? settings.defaultMemoryMiB() : policy.memoryMiB();
        if (memory > settings.maxMemoryMiB()) {
            throw new PolicyNotEnforceableException(
                    "the policy asks for " + memory + " MiB of memory; " + prefix + "max-memory allows at most " + settings.maxMemoryMiB() + " MiB",
                    "lower the policy's memory limit or raise " + prefix + "max-memory");
        }
        if (memory < 64) {
            throw new PolicyNotEnforceableException(
                    "the policy asks for " + memory + " MiB of memory; a guest kernel and agent need at least 64 MiB",
                    "raise the policy's memory limit to 64 MiB or more");
        }
        return memory;
    }

    private static String socket(String id, String path, String prefix) {
        return "socket,id=" + id + ",path=" + QemuOptionValue.escape(prefix + "channel socket path", path);
    }

    private static void port(List<String> argv, String id, String name, String path, String prefix) {
        argv.addAll(List.of("-chardev", socket(id, path, prefix)));
        argv.addAll(List.of("-device", "virtserialport,bus=" + PORT_BUS + ",chardev=" + id + ",name=" + name));
    }
}
