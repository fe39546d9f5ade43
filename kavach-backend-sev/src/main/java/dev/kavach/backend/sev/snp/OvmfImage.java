package dev.kavach.backend.sev.snp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

import dev.kavach.backend.sev.measure.MeasurementException;
import dev.kavach.backend.sev.measure.MetadataSection;
import dev.kavach.backend.sev.measure.OvmfFirmware;
import dev.kavach.backend.sev.measure.OvmfFooterTable;

/**
 * What an OVMF image offers an SEV-SNP launch, read from the GUIDed table OVMF places just below its
 * reset vector (the table QEMU itself searches): the SNP metadata that lets firmware boot as an SNP guest,
 * and the kernel hash table that {@code kernel-hashes=on} fills. A generic OVMF carries the hash-table entry
 * with size 0; only the AmdSev build ({@code OvmfPkg/AmdSev/AmdSevX64.dsc}) reserves the table and lists
 * it as an SNP_KERNEL_HASHES section of its SNP metadata, which the launch measurement needs.
 */
public record OvmfImage(boolean snpMetadata, int hashTableSize, boolean sevInfoBlock, boolean kernelHashesSection) {
    static final UUID FOOTER = OvmfFooterTable.FOOTER;
    static final UUID SEV_INFO_BLOCK = OvmfFooterTable.SEV_ES_RESET_BLOCK;
    static final UUID SEV_HASH_TABLE = OvmfFooterTable.SEV_HASH_TABLE;
    static final UUID SEV_METADATA = OvmfFooterTable.SEV_METADATA;

    /** Whether this firmware can do a measured direct boot under SNP. */
    public boolean snpDirectBoot() {
        return snpMetadata && hashTableSize > 0 && kernelHashesSection;
    }

    public static OvmfImage read(Path file) throws IOException {
        return parse(Files.readAllBytes(file)).orElseThrow(() -> new IOException(
                file + " has no OVMF GUIDed table below its reset vector: not an OVMF image with SEV support"));
    }

    public static Optional<OvmfImage> parse(byte[] image) {
        OvmfFooterTable table;
        try {
            table = OvmfFooterTable.parse(image);
        } catch (MeasurementException e) {
            return Optional.empty();
        }
        if (table.isEmpty()) {
            return Optional.empty();
        }
        int hashSize = table.entry(SEV_HASH_TABLE).filter(e -> e.length >= 8)
                .map(e -> ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN).getInt(4)).orElse(0);
        boolean kernelHashes;
        try {
            kernelHashes = OvmfFirmware.of(image).hasSection(MetadataSection.Type.SNP_KERNEL_HASHES);
        } catch (MeasurementException e) {
            kernelHashes = false; // damaged metadata: the measurement says why when it is computed
        }
        return Optional.of(new OvmfImage(table.entry(SEV_METADATA).isPresent(), hashSize, table.entry(SEV_INFO_BLOCK).isPresent(), kernelHashes));
    }
}
