package dev.kavach.backend.sev.measure;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The SEV-SNP launch measurement (the report's MEASUREMENT, 48 bytes), computed as virtee/sev-snp-measure
 * {@code --mode snp} and virtee/sev's measurement module compute it for QEMU:
 * <ol>
 *   <li>every 4 KiB page of the firmware, mapped to end at 4 GiB, as a normal page;</li>
 *   <li>the firmware's SNP metadata sections in order: SEC_MEM and SVSM_CAA as zero pages, SECRETS and
 *       CPUID as their special pages, KERNEL_HASHES as a normal page holding the SEV hashes table (at the
 *       table's offset within its page) when a kernel is measured, else as zero pages;</li>
 *   <li>one VMSA per vCPU: the BSP at the reset vector, the APs at the firmware's SEV-ES reset EIP.</li>
 * </ol>
 */
public record SnpMeasurement(byte[] digest) {
    public SnpMeasurement {
        requireNonNull(digest, "digest is null");
        if (digest.length != LaunchDigest.SIZE) {
            throw new IllegalArgumentException("a launch measurement is 48 bytes, got " + digest.length);
        }
        digest = digest.clone();
    }

    /** Computes the measurement of a launch. */
    public static SnpMeasurement of(MeasurementInputs inputs) {
        requireNonNull(inputs, "inputs is null");
        OvmfFirmware firmware = OvmfFirmware.read(inputs.ovmf());
        Optional<SevHashesTable> hashes = inputs.kernel().map(kernel -> SevHashesTable.of(kernel, inputs.initrd(), inputs.append()));
        return of(firmware, hashes, inputs.vcpus(), inputs.vcpuSignature(), inputs.guestFeatures());
    }

    static SnpMeasurement of(OvmfFirmware firmware, Optional<SevHashesTable> hashes, int vcpus, long vcpuSignature, long guestFeatures) {
        if (hashes.isPresent() && !firmware.hasSection(MetadataSection.Type.SNP_KERNEL_HASHES)) {
            throw new MeasurementException("a kernel is measured but the firmware's SNP metadata has no SNP_KERNEL_HASHES section,"
                    + " so QEMU could not place the kernel hashes: use the AmdSev OVMF build (OvmfPkg/AmdSev/AmdSevX64.dsc)"
                    + " or measure without a kernel");
        }
        // Read up front, as the reference does, so a firmware without the footer table is refused even for one vCPU.
        long apEip = firmware.apResetEip();
        if (vcpus > 1 && apEip == 0) {
            throw new MeasurementException("the firmware's SEV-ES reset block gives AP reset address 0, so it cannot start "
                    + (vcpus - 1) + " application processors; measure with 1 vCPU or use an SEV-capable OVMF");
        }
        LaunchDigest digest = new LaunchDigest();
        digest.normalPages(firmware.gpa(), firmware.data());
        for (MetadataSection section : firmware.sections()) {
            switch (section.type()) {
                case SNP_SEC_MEM, SVSM_CAA -> digest.zeroPages(section.gpa(), section.size());
                case SNP_SECRETS -> digest.secretsPage(section.gpa());
                case CPUID -> digest.cpuidPage(section.gpa());
                case SNP_KERNEL_HASHES -> {
                    if (hashes.isPresent()) {
                        if (section.size() != LaunchDigest.PAGE_SIZE) {
                            throw new MeasurementException("the firmware's SNP_KERNEL_HASHES section is " + section.size()
                                    + " bytes; QEMU fills exactly one 4 KiB page there");
                        }
                        int offset = (int) (firmware.hashesTableGpa() & (LaunchDigest.PAGE_SIZE - 1));
                        digest.normalPages(section.gpa(), hashes.get().page(offset));
                    } else {
                        digest.zeroPages(section.gpa(), section.size());
                    }
                }
            }
        }
        byte[] bsp = Vmsa.page(Vmsa.BSP_EIP, guestFeatures, vcpuSignature);
        byte[] ap = vcpus > 1 ? Vmsa.page(apEip, guestFeatures, vcpuSignature) : null;
        for (int i = 0; i < vcpus; i++) {
            digest.vmsaPage(i == 0 ? bsp : ap);
        }
        return new SnpMeasurement(digest.digest());
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    public String hex() {
        return HexFormat.of().formatHex(digest);
    }

    public String base64() {
        return Base64.getEncoder().encodeToString(digest);
    }

    /** Reads a measurement written as 96 hex digits (either case) or as base64. */
    public static SnpMeasurement parse(String text) {
        String value = text.strip();
        byte[] bytes;
        try {
            bytes = value.length() == 2 * LaunchDigest.SIZE ? HexFormat.of().parseHex(value) : Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new MeasurementException("'" + value + "' is not a launch measurement: give 96 hex digits or base64 of 48 bytes");
        }
        if (bytes.length != LaunchDigest.SIZE) {
            throw new MeasurementException("'" + value + "' is " + bytes.length + " bytes; a launch measurement is 48");
        }
        return new SnpMeasurement(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnpMeasurement other && Arrays.equals(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return hex();
    }
}
