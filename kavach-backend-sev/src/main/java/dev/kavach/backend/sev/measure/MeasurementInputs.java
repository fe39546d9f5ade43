package dev.kavach.backend.sev.measure;

import java.nio.file.Path;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Everything an SNP launch measurement depends on, as the reference's {@code --mode snp} takes it.
 *
 * @param ovmf          the firmware QEMU loads with {@code -bios}
 * @param kernel        the kernel of a measured direct boot ({@code -kernel} with {@code kernel-hashes=on}); empty for none
 * @param initrd        its initrd; empty hashes as empty content
 * @param append        its command line, without the NUL QEMU adds; empty hashes as a lone NUL
 * @param vcpus         the number of vCPUs, one VMSA each
 * @param vcpuSignature the 32-bit CPUID signature QEMU puts in RDX (see {@link VcpuSignature})
 * @param guestFeatures the VMSA's SEV_FEATURES: 0x1 (SNPActive) for upstream QEMU 9.1+ with KVM_SEV_INIT2
 */
public record MeasurementInputs(Path ovmf, Optional<Path> kernel, Optional<Path> initrd, Optional<String> append, int vcpus,
                                long vcpuSignature, long guestFeatures) {
    /** What upstream QEMU 9.1+ launches with: SNPActive only (no DebugSwap). */
    public static final long DEFAULT_GUEST_FEATURES = 0x1;

    public MeasurementInputs {
        requireNonNull(ovmf, "ovmf is null");
        requireNonNull(kernel, "kernel is null");
        requireNonNull(initrd, "initrd is null");
        requireNonNull(append, "append is null");
        if (kernel.isEmpty() && initrd.isPresent()) {
            throw new MeasurementException("an initrd (" + initrd.get() + ") is measured only with a kernel: give the kernel too");
        }
        if (kernel.isEmpty() && append.filter(a -> !a.isEmpty()).isPresent()) {
            throw new MeasurementException("a kernel command line is measured only with a kernel: give the kernel too");
        }
        if (vcpus < 1) {
            throw new MeasurementException("the vCPU count must be at least 1, got " + vcpus);
        }
        if (vcpuSignature < 0 || vcpuSignature > 0xFFFF_FFFFL) {
            throw new MeasurementException("the vCPU signature 0x" + Long.toHexString(vcpuSignature)
                    + " is not a 32-bit CPUID signature (e.g. 0x800f12 for EPYC-v4)");
        }
        if (append.isPresent() && append.get().indexOf('\0') >= 0) {
            throw new MeasurementException("the kernel command line contains a NUL character, which would end it early in the guest");
        }
    }
}
