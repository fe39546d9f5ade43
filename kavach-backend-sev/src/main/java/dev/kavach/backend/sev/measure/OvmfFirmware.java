package dev.kavach.backend.sev.measure;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An OVMF image as the SNP launch sees it: mapped so that it ends at 4 GiB, with its GUIDed footer table
 * and the SNP metadata sections that table points to.
 */
public final class OvmfFirmware {
    static final long FOUR_GIB = 0x1_0000_0000L;
    private static final int METADATA_HEADER = 16;
    private static final int METADATA_ITEM = 12;

    private final byte[] data;
    private final OvmfFooterTable table;
    private final List<MetadataSection> sections;

    private OvmfFirmware(byte[] data) {
        this.data = data;
        this.table = OvmfFooterTable.parse(data);
        this.sections = parseMetadata(data, table);
    }

    public static OvmfFirmware read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw MeasurementException.unreadable("firmware", file, e);
        }
        return of(data);
    }

    public static OvmfFirmware of(byte[] image) {
        return new OvmfFirmware(image.clone());
    }

    byte[] data() {
        return data;
    }

    public int size() {
        return data.length;
    }

    /** Where the image starts in guest memory: it ends at 4 GiB. */
    public long gpa() {
        return FOUR_GIB - data.length;
    }

    public OvmfFooterTable table() {
        return table;
    }

    public List<MetadataSection> sections() {
        return sections;
    }

    public boolean hasSection(MetadataSection.Type type) {
        return sections.stream().anyMatch(s -> s.type() == type);
    }

    /** Where the application processors start (the SEV-ES reset block); the BSP starts at the reset vector. */
    public long apResetEip() {
        return table.u32(OvmfFooterTable.SEV_ES_RESET_BLOCK).orElseThrow(() -> new MeasurementException(
                (table.isEmpty() ? "the firmware has no OVMF GUIDed footer table below its reset vector"
                        : "the firmware's footer table has no SEV-ES reset block (" + OvmfFooterTable.SEV_ES_RESET_BLOCK + ")")
                        + ": it is not an OVMF build with SEV support; use the AmdSev build (OvmfPkg/AmdSev/AmdSevX64.dsc)"));
    }

    /** The GPA of the SEV hashes table a measured direct boot fills. */
    public long hashesTableGpa() {
        return table.u32(OvmfFooterTable.SEV_HASH_TABLE).orElseThrow(() -> new MeasurementException(
                "the firmware's footer table has no SEV hashes table entry (" + OvmfFooterTable.SEV_HASH_TABLE + ")"
                        + ": it cannot measure a kernel; use the AmdSev build (OvmfPkg/AmdSev/AmdSevX64.dsc)"));
    }

    /** The SEV hashes table's reserved size, 0 where the firmware has only the entry (a generic OVMF). */
    public long hashesTableSize() {
        Optional<byte[]> entry = table.entry(OvmfFooterTable.SEV_HASH_TABLE);
        return entry.filter(e -> e.length >= 8).map(e -> Integer.toUnsignedLong(ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN).getInt(4)))
                .orElse(0L);
    }

    private static List<MetadataSection> parseMetadata(byte[] data, OvmfFooterTable table) {
        Optional<Long> offset = table.u32(OvmfFooterTable.SEV_METADATA);
        if (offset.isEmpty()) {
            return List.of();
        }
        long start = data.length - offset.get();
        if (start < 0 || start + METADATA_HEADER > data.length) {
            throw new MeasurementException("the firmware's SNP metadata offset " + offset.get() + " points outside the image: it is damaged");
        }
        ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int at = (int) start;
        if (data[at] != 'A' || data[at + 1] != 'S' || data[at + 2] != 'E' || data[at + 3] != 'V') {
            throw new MeasurementException("the firmware's SNP metadata lacks its \"ASEV\" signature: the image is damaged or not an OVMF build");
        }
        long size = Integer.toUnsignedLong(le.getInt(at + 4));
        long version = Integer.toUnsignedLong(le.getInt(at + 8));
        long count = Integer.toUnsignedLong(le.getInt(at + 12));
        if (version != 1) {
            throw new MeasurementException("the firmware's SNP metadata has version " + version + "; only version 1 is defined");
        }
        if (size < METADATA_HEADER || start + size > data.length || METADATA_HEADER + count * METADATA_ITEM > size) {
            throw new MeasurementException("the firmware's SNP metadata (" + count + " items in " + size + " bytes) does not fit the image: it is damaged");
        }
        List<MetadataSection> sections = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int item = at + METADATA_HEADER + i * METADATA_ITEM;
            sections.add(new MetadataSection(Integer.toUnsignedLong(le.getInt(item)), Integer.toUnsignedLong(le.getInt(item + 4)),
                    MetadataSection.Type.of(Integer.toUnsignedLong(le.getInt(item + 8)))));
        }
        return List.copyOf(sections);
    }
}
