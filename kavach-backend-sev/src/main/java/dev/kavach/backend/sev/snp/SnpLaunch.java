package dev.kavach.backend.sev.snp;

import dev.kavach.backend.sev.measure.MeasurementInputs;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The SEV-SNP part of one launch.
 *
 * @param policy          the guest policy
 * @param cbitpos         the host's C-bit position (CPUID 0x8000001F EBX[5:0])
 * @param reducedPhysBits physical address bits lost to encryption
 * @param hostData        32 bytes that appear in every attestation report's HOST_DATA: the job digest
 * @param firmware        the AmdSev OVMF image
 * @param sevDevice       the host's SEV device
 * @param kernelHashes    whether QEMU hashes kernel, initrd and command line into the measurement
 * @param guestFeatures   the VMSA SEV_FEATURES KVM launches with (0x1 with upstream QEMU 9.1+ and KVM_SEV_INIT2)
 * @param vcpuSignature   the vCPU signature to measure with, or empty to take it from the {@code -cpu} model
 */
public record SnpLaunch(SnpGuestPolicy policy, int cbitpos, int reducedPhysBits, byte[] hostData, Path firmware, Path sevDevice, boolean kernelHashes,
                        long guestFeatures, Optional<Long> vcpuSignature) {
    public SnpLaunch {
        requireNonNull(policy, "policy is null");
        requireNonNull(hostData, "hostData is null");
        requireNonNull(firmware, "firmware is null");
        requireNonNull(sevDevice, "sevDevice is null");
        requireNonNull(vcpuSignature, "vcpuSignature is null");
        if (hostData.length != 32) {
            throw new IllegalArgumentException("host-data must be exactly 32 bytes, got " + hostData.length);
        }
        hostData = hostData.clone();
    }

    /** A launch with upstream QEMU's guest features and the signature of the {@code -cpu} model. */
    public SnpLaunch(SnpGuestPolicy policy, int cbitpos, int reducedPhysBits, byte[] hostData, Path firmware, Path sevDevice, boolean kernelHashes) {
        this(policy, cbitpos, reducedPhysBits, hostData, firmware, sevDevice, kernelHashes, MeasurementInputs.DEFAULT_GUEST_FEATURES, Optional.empty());
    }

    @Override
    public byte[] hostData() {
        return hostData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnpLaunch other && policy.equals(other.policy) && cbitpos == other.cbitpos && reducedPhysBits == other.reducedPhysBits
                && Arrays.equals(hostData, other.hostData) && firmware.equals(other.firmware) && sevDevice.equals(other.sevDevice)
                && kernelHashes == other.kernelHashes && guestFeatures == other.guestFeatures && vcpuSignature.equals(other.vcpuSignature);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(policy, cbitpos, reducedPhysBits, Arrays.hashCode(hostData), firmware, sevDevice, kernelHashes, guestFeatures,
                vcpuSignature);
    }
}
