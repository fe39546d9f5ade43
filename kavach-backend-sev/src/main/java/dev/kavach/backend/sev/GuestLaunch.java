package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.snp.SnpLaunch;

import dev.kavach.api.ConfigurationException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.backend.sev.measure.MeasurementInputs;
import dev.kavach.backend.sev.measure.VcpuSignature;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One VM launch, decided once: the single source of truth from which both the QEMU command line
 * ({@link QemuTranslator#translate(GuestLaunch, VmSettings, VmChannels)}) and, for SEV-SNP, the inputs of
 * the expected launch measurement ({@link #measurementInputs()}) are derived. Whatever QEMU is told
 * (vCPUs, CPU model, firmware, kernel, initrd, command line, measured direct boot) is what is measured.
 *
 * @param vcpus     {@code -smp}: one VMSA each under SNP
 * @param memoryMiB {@code -m}
 * @param accel     the accelerator
 * @param cpuModel  {@code -cpu}, or empty for none (QEMU's default model)
 * @param boot      {@code -kernel}, {@code -initrd}, {@code -append}
 * @param snp       the SEV-SNP part ({@code -bios} firmware, {@code sev-snp-guest}), or empty for a plain VM
 */
record GuestLaunch(int vcpus, long memoryMiB, Accel accel, Optional<String> cpuModel, GuestBoot boot, Optional<SnpLaunch> snp) {
    public GuestLaunch {
        requireNonNull(accel, "accel is null");
        requireNonNull(cpuModel, "cpuModel is null");
        requireNonNull(boot, "boot is null");
        requireNonNull(snp, "snp is null");
        if (vcpus < 1) {
            throw new IllegalArgumentException("vcpus must be at least 1, got " + vcpus);
        }
    }

    /**
     * Decides the launch for an exec's policy.
     *
     * @throws dev.kavach.api.PolicyNotEnforceableException when the policy asks for more CPUs or memory than the settings allow
     */
    public static GuestLaunch plan(SandboxPolicy policy, VmSettings settings, Accel accel, GuestBoot boot, Optional<SnpLaunch> snp) {
        requireNonNull(policy, "policy is null");
        requireNonNull(settings, "settings is null");
        String prefix = prefix(snp.isPresent());
        Optional<String> cpu = !settings.cpuModel().isEmpty() ? Optional.of(settings.cpuModel())
                // QEMU's default model would hide most of the host CPU from the guest
                : accel == Accel.KVM ? Optional.of("host") : Optional.empty();
        return new GuestLaunch(QemuTranslator.vcpus(policy, settings, prefix), QemuTranslator.memoryMiB(policy, settings, prefix), accel, cpu,
                boot, snp);
    }

    static String prefix(boolean snp) {
        return snp ? "kavach.backends.sev." : "kavach.backends.vm.";
    }

    /**
     * What sev-snp-measure needs to compute this launch's MEASUREMENT: the {@code -bios} firmware; with
     * {@code kernel-hashes=on} the {@code -kernel}, {@code -initrd} and {@code -append} QEMU hashes into the
     * firmware; the {@code -smp} count; the signature of the {@code -cpu} model (or the configured one); and
     * the guest features KVM gives the VMSAs.
     *
     * @return empty for a plain VM
     * @throws ConfigurationException when the CPU model's signature is unknown and none is configured
     */
    public Optional<MeasurementInputs> measurementInputs() {
        return snp.map(launch -> {
            boolean hashes = launch.kernelHashes();
            return new MeasurementInputs(launch.firmware(),
                    hashes ? Optional.of(boot.kernel()) : Optional.empty(),
                    hashes ? Optional.of(boot.initrd()) : Optional.empty(),
                    hashes ? Optional.of(boot.append()) : Optional.empty(),
                    vcpus, vcpuSignature(launch), launch.guestFeatures());
        });
    }

    private long vcpuSignature(SnpLaunch launch) {
        if (launch.vcpuSignature().isPresent()) {
            return launch.vcpuSignature().get();
        }
        String model = cpuModel.orElse("");
        return VcpuSignature.forType(model).orElseThrow(() -> new ConfigurationException(
                "the vCPU signature of CPU model '" + model + "' (" + prefix(true) + "cpu) is unknown, so the launch measurement cannot be computed",
                "use a named EPYC model (" + String.join(", ", VcpuSignature.types().keySet()) + ") or set " + prefix(true)
                        + "vcpu-signature to the guest's CPUID 1 EAX, e.g. 0xa10f11"));
    }
}
