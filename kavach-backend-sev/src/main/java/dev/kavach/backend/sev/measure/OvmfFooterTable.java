package dev.kavach.backend.sev.measure;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The GUIDed table OVMF places just below its reset vector, the table QEMU searches. It ends 32 bytes
 * before the end of the image with a footer entry; every entry is {@code data, u16 size, GUID} with the size
 * counting the 18-byte header, so the table is read backwards from the footer.
 */
public final class OvmfFooterTable {
    public static final UUID FOOTER = UUID.fromString("96b582de-1fb2-45f7-baea-a366c55a082d");
    /** u32 GPA of the SEV hashes table, u32 its size. */
    public static final UUID SEV_HASH_TABLE = UUID.fromString("7255371f-3a3b-4b04-927b-1da6efa8d454");
    /** The SEV-ES reset block: u32 reset EIP of the application processors. */
    public static final UUID SEV_ES_RESET_BLOCK = UUID.fromString("00f771de-1a7e-4fcb-890e-68c77e2fb44e");
    /** u32 offset from the end of the image of the SNP metadata ("ASEV"). */
    public static final UUID SEV_METADATA = UUID.fromString("dc886566-984a-4798-a75e-5585a7bf67cc");

    private static final int ENTRY_HEADER = 2 + EfiGuid.SIZE;
    private static final int TRAILER = 32;

    private final Map<UUID, byte[]> entries;

    private OvmfFooterTable(Map<UUID, byte[]> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Reads the table of {@code image}; an image whose footer GUID is not where OVMF puts it has an empty
     * table (as in the reference), which every later lookup reports.
     *
     * @throws MeasurementException when the footer is there but an entry size is impossible
     */
    public static OvmfFooterTable parse(byte[] image) {
        Map<UUID, byte[]> entries = new LinkedHashMap<>();
        int footerStart = image.length - TRAILER - ENTRY_HEADER;
        if (footerStart < 0 || !EfiGuid.read(image, footerStart + 2).equals(FOOTER)) {
            return new OvmfFooterTable(entries);
        }
        ByteBuffer le = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int tableSize = Short.toUnsignedInt(le.getShort(footerStart)) - ENTRY_HEADER;
        if (tableSize < 0) {
            return new OvmfFooterTable(entries);
        }
        int start = footerStart - tableSize;
        if (start < 0) {
            throw new MeasurementException("the firmware's GUIDed footer table claims " + tableSize + " bytes, more than the image holds:"
                    + " the file is truncated or not an OVMF image");
        }
        int end = footerStart;
        while (end - start >= ENTRY_HEADER) {
            int size = Short.toUnsignedInt(le.getShort(end - ENTRY_HEADER));
            if (size < ENTRY_HEADER || size > end - start) {
                throw new MeasurementException("the firmware's GUIDed footer table has an entry of invalid size " + size
                        + ": the image is damaged or not an OVMF build");
            }
            UUID guid = EfiGuid.read(image, end - EfiGuid.SIZE);
            entries.put(guid, Arrays.copyOfRange(image, end - size, end - ENTRY_HEADER));
            end -= size;
        }
        return new OvmfFooterTable(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public Optional<byte[]> entry(UUID guid) {
        return Optional.ofNullable(entries.get(guid)).map(byte[]::clone);
    }

    /** The first little-endian u32 of an entry, the form of every address the measurement needs. */
    public Optional<Long> u32(UUID guid) {
        byte[] data = entries.get(guid);
        if (data == null) {
            return Optional.empty();
        }
        if (data.length < 4) {
            throw new MeasurementException("the firmware's footer table entry " + guid + " is shorter than 4 bytes: the image is damaged");
        }
        return Optional.of(Integer.toUnsignedLong(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(0)));
    }
}
