package dev.kavach.backend.sev;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What an OVMF image offers an SEV-SNP launch, read from the GUIDed table OVMF places just below its
 * reset vector (the table QEMU itself searches): the SNP metadata that lets firmware boot as an SNP guest,
 * and the kernel hash table that {@code kernel-hashes=on} fills. A generic OVMF carries the hash-table entry
 * with size 0; only the AmdSev build ({@code OvmfPkg/AmdSev/AmdSevX64.dsc}) reserves the table and lists it
 * as an SNP metadata section of type KERNEL_HASHES (0x10), which the SNP launch (and its measurement) needs.
 * (The sev measurement code parses the same metadata in full; this reads only what the probe needs.)
 */
public record OvmfImage(boolean snpMetadata, int hashTableSize, boolean sevInfoBlock, boolean kernelHashesSection) {
    static final UUID FOOTER = UUID.fromString("96b582de-1fb2-45f7-baea-a366c55a082d");
    static final UUID SEV_INFO_BLOCK = UUID.fromString("00f771de-1a7e-4fcb-890e-68c77e2fb44e");
    static final UUID SEV_HASH_TABLE = UUID.fromString("7255371f-3a3b-4b04-927b-1da6efa8d454");
    static final UUID SEV_METADATA = UUID.fromString("dc886566-984a-4798-a75e-5585a7bf67cc");
    /** SNP metadata section type of the kernel hashes page (edk2 OvmfPkg/ResetVector: SEV_SNP_METADATA_SECTION_KERNEL_HASHES). */
    static final int KERNEL_HASHES = 0x10;

    /** Whether this firmware can do a measured direct boot under SNP. */
    public boolean snpDirectBoot() {
        return snpMetadata && hashTableSize > 0 && kernelHashesSection;
    }

    public static OvmfImage read(Path file) throws IOException {
        return parse(Files.readAllBytes(file)).orElseThrow(() -> new IOException(
                file + " has no OVMF GUIDed table below its reset vector: not an OVMF image with SEV support"));
    }

    static Optional<OvmfImage> parse(byte[] image) {
        if (image.length < 64) {
            return Optional.empty();
        }
        ByteBuffer buf = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int end = image.length - 32;
        if (!guid(buf, end - 16).equals(FOOTER)) {
            return Optional.empty();
        }
        int tableLength = Short.toUnsignedInt(buf.getShort(end - 18));
        int start = end - tableLength;
        if (start < 0) {
            return Optional.empty();
        }
        Map<UUID, byte[]> entries = new HashMap<>();
        int p = end - 18;
        while (p - 18 >= start) {
            UUID id = guid(buf, p - 16);
            int length = Short.toUnsignedInt(buf.getShort(p - 18));
            if (length < 18 || p - length < start) {
                break;
            }
            entries.put(id, java.util.Arrays.copyOfRange(image, p - length, p - 18));
            p -= length;
        }
        byte[] hashTable = entries.get(SEV_HASH_TABLE);
        int hashSize = hashTable != null && hashTable.length >= 8 ? ByteBuffer.wrap(hashTable).order(ByteOrder.LITTLE_ENDIAN).getInt(4) : 0;
        byte[] metadata = entries.get(SEV_METADATA);
        return Optional.of(new OvmfImage(metadata != null, hashSize, entries.containsKey(SEV_INFO_BLOCK),
                metadata != null && hasSection(image, metadata, KERNEL_HASHES)));
    }

    /**
     * Whether the SNP metadata ({@code "ASEV"}, u32 size, u32 version 1, u32 count, then {u32 gpa, u32 size,
     * u32 type} items) that the footer entry points to (u32 offset from the image's end) lists a section of
     * {@code type}.
     */
    private static boolean hasSection(byte[] image, byte[] entry, int type) {
        if (entry.length < 4) {
            return false;
        }
        ByteBuffer buf = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        long header = image.length - Integer.toUnsignedLong(ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
        if (header < 0 || header + 16 > image.length || buf.getInt((int) header) != 0x56455341) { // "ASEV"
            return false;
        }
        long count = Integer.toUnsignedLong(buf.getInt((int) header + 12));
        for (long i = 0; i < count && header + 16 + 12 * (i + 1) <= image.length; i++) {
            if (buf.getInt((int) (header + 16 + 12 * i + 8)) == type) {
                return true;
            }
        }
        return false;
    }

    private static UUID guid(ByteBuffer buf, int offset) {
        // EFI GUIDs store the first three fields little-endian, the last eight bytes as they are.
        long d1 = Integer.toUnsignedLong(buf.getInt(offset));
        long d2 = Short.toUnsignedLong(buf.getShort(offset + 4));
        long d3 = Short.toUnsignedLong(buf.getShort(offset + 6));
        long msb = (d1 << 32) | (d2 << 16) | d3;
        long lsb = buf.order(ByteOrder.BIG_ENDIAN).getLong(offset + 8);
        buf.order(ByteOrder.LITTLE_ENDIAN);
        return new UUID(msb, lsb);
    }
}
