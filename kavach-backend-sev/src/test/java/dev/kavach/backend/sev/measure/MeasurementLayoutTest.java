package dev.kavach.backend.sev.measure;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;

import static dev.kavach.backend.sev.measure.MetadataSection.Type.CPUID;
import static dev.kavach.backend.sev.measure.MetadataSection.Type.SNP_KERNEL_HASHES;
import static dev.kavach.backend.sev.measure.MetadataSection.Type.SNP_SECRETS;
import static dev.kavach.backend.sev.measure.MetadataSection.Type.SNP_SEC_MEM;
import static dev.kavach.backend.sev.measure.MetadataSection.Type.SVSM_CAA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The byte layouts the digest is built from, pinned piece by piece so a failure says which piece broke. */
class MeasurementLayoutTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void theAmdSevSuffixParsesAsTheFirmwareLaysItOut() throws Exception {
        OvmfFirmware firmware = OvmfFirmware.read(MeasurementVectors.BUNDLED.resolve("ovmf_AmdSev_suffix.bin"));
        assertThat(firmware.gpa()).isEqualTo(0xFFFF_F000L);
        assertThat(firmware.apResetEip()).isEqualTo(0x80B004L);
        assertThat(firmware.hashesTableGpa()).isEqualTo(0x810C00L);
        assertThat(firmware.sections()).containsExactly(
                new MetadataSection(0x800000, 0x9000, SNP_SEC_MEM),
                new MetadataSection(0x80A000, 0x3000, SNP_SEC_MEM),
                new MetadataSection(0x80D000, 0x1000, SNP_SECRETS),
                new MetadataSection(0x80E000, 0x1000, CPUID),
                new MetadataSection(0x80F000, 0x1000, SVSM_CAA),
                new MetadataSection(0x810000, 0x1000, SNP_KERNEL_HASHES),
                new MetadataSection(0x811000, 0xF000, SNP_SEC_MEM));
    }

    @Test
    void theStandardBuildHasNoKernelHashesSection() {
        OvmfFirmware firmware = OvmfFirmware.read(MeasurementVectors.BUNDLED.resolve("ovmf_OvmfX64_suffix.bin"));
        assertThat(firmware.sections()).isNotEmpty();
        assertThat(firmware.hasSection(SNP_KERNEL_HASHES)).isFalse();
    }

    @Test
    void theFirmwarePagesAloneGiveTheReferencesOvmfHash() {
        // sev-snp-measure --mode snp:ovmf-hash of the AmdSev suffix (tests/test_guest.py)
        LaunchDigest digest = new LaunchDigest();
        OvmfFirmware firmware = OvmfFirmware.read(MeasurementVectors.BUNDLED.resolve("ovmf_AmdSev_suffix.bin"));
        digest.normalPages(firmware.gpa(), firmware.data());
        assertThat(HEX.formatHex(digest.digest()))
                .isEqualTo("086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74");
    }

    @Test
    void theHashesTableIsQemusLayout() {
        byte[] kernel = SevHashesTable.sha256("K".getBytes(StandardCharsets.US_ASCII));
        byte[] initrd = SevHashesTable.sha256("I".getBytes(StandardCharsets.US_ASCII));
        byte[] cmdline = SevHashesTable.sha256("console=ttyS0\0".getBytes(StandardCharsets.US_ASCII));
        byte[] table = new SevHashesTable(kernel, initrd, cmdline).table();
        assertThat(table).hasSize(176);
        assertThat(HEX.formatHex(table, 0, 16)).isEqualTo("06d63894224fc94cb479a793d411fd21");
        ByteBuffer le = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(le.getShort(16)).isEqualTo((short) 168);
        String[] guids = {"d82dd09720bd944caa78e7714d36ab2a", "31f7ba442f3ad74b9af141e29169781d", "3794e74dd2ab7f42b835d5b172d2045b"};
        byte[][] hashes = {cmdline, initrd, kernel};
        for (int i = 0; i < 3; i++) {
            int at = 18 + 50 * i;
            assertThat(HEX.formatHex(table, at, at + 16)).as("entry %d GUID", i).isEqualTo(guids[i]);
            assertThat(le.getShort(at + 16)).isEqualTo((short) 50);
            assertThat(HEX.formatHex(table, at + 18, at + 50)).isEqualTo(HEX.formatHex(hashes[i]));
        }
        assertThat(HEX.formatHex(table, 168, 176)).isEqualTo("0".repeat(16));
        byte[] page = new SevHashesTable(kernel, initrd, cmdline).page(0xc00);
        assertThat(page).hasSize(4096);
        assertThat(HEX.formatHex(page, 0xc00, 0xc00 + 176)).isEqualTo(HEX.formatHex(table));
    }

    @Test
    void theCommandLineIsHashedWithItsNul() {
        assertThat(SevHashesTable.cmdlineBytes("")).containsExactly(0);
        assertThat(SevHashesTable.cmdlineBytes("é")).containsExactly(0xc3, 0xa9, 0);
    }

    @Test
    void theVmsaCarriesTheResetStateAtItsOffsets() {
        byte[] vmsa = Vmsa.page(0x80B004L, 0x21, 0x800F12);
        ByteBuffer le = ByteBuffer.wrap(vmsa).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(le.getShort(0x10)).as("cs.selector").isEqualTo((short) 0xf000);
        assertThat(le.getLong(0x18)).as("cs.base").isEqualTo(0x800000L);
        assertThat(le.getLong(0x178)).as("rip").isEqualTo(0xB004L);
        assertThat(le.getLong(0x310)).as("rdx").isEqualTo(0x800F12L);
        assertThat(le.getLong(0x3B0)).as("sev_features").isEqualTo(0x21L);
        assertThat(le.getInt(0x408)).as("mxcsr").isEqualTo(0x1f80);
        assertThat(le.getShort(0x410)).as("x87 fcw").isEqualTo((short) 0x37f);
        byte[] bsp = Vmsa.page(Vmsa.BSP_EIP, 1, 0x800F12);
        ByteBuffer bspLe = ByteBuffer.wrap(bsp).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bspLe.getLong(0x18)).isEqualTo(0xFFFF0000L);
        assertThat(bspLe.getLong(0x178)).isEqualTo(0xFFF0L);
    }

    @Test
    void vcpuSignaturesFollowTheCpuidEncoding() {
        assertThat(VcpuSignature.of(14, 1, 2)).isEqualTo(0x0e12L);
        assertThat(VcpuSignature.of(23, 1, 2)).isEqualTo(0x800f12L);
        assertThat(VcpuSignature.forType("EPYC-v4")).contains(0x800F12L);
        assertThat(VcpuSignature.forType("EPYC-Rome-v3")).contains(0x830F10L);
        assertThat(VcpuSignature.forType("EPYC-Milan-v2")).contains(0xA00F11L);
        assertThat(VcpuSignature.forType("EPYC-Genoa")).contains(0xA10F10L);
        assertThat(VcpuSignature.forType("EPYC-Turin")).contains(0xB00F00L);
        assertThat(VcpuSignature.forType("EPYC-IBPB")).contains(0x800F12L);
        assertThat(VcpuSignature.types()).hasSize(17);
        assertThat(VcpuSignature.forType("epyc-v4")).as("QEMU model names are exact").isEmpty();
        assertThat(VcpuSignature.forType("EPYC-v5")).isEmpty();
    }

    @Test
    void aFirmwareWithoutTheFooterTableIsRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path blank = Files.write(dir.resolve("blank.fd"), new byte[8192]);
        assertThatThrownBy(() -> SnpMeasurement.of(new MeasurementInputs(blank, Optional.empty(), Optional.empty(), Optional.empty(), 1,
                0x800F12, 1))).isInstanceOf(MeasurementException.class).hasMessageContaining("no OVMF GUIDed footer table");
    }

    @Test
    void aFirmwareOfPartialPagesIsRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        byte[] suffix = Files.readAllBytes(MeasurementVectors.BUNDLED.resolve("ovmf_AmdSev_suffix.bin"));
        byte[] odd = new byte[suffix.length + 100];
        System.arraycopy(suffix, 0, odd, 100, suffix.length);
        Path file = Files.write(dir.resolve("odd.fd"), odd);
        assertThatThrownBy(() -> SnpMeasurement.of(new MeasurementInputs(file, Optional.empty(), Optional.empty(), Optional.empty(), 1,
                0x800F12, 1))).isInstanceOf(MeasurementException.class).hasMessageContaining("whole number of 4 KiB pages");
    }

    @Test
    void anUnknownSectionTypeIsRefused() throws Exception {
        byte[] image = Files.readAllBytes(MeasurementVectors.BUNDLED.resolve("ovmf_AmdSev_suffix.bin"));
        // Rewrite the CPUID section's type (gpa 0x80e000, size 0x1000, type 3) to 7.
        byte[] needle = HEX.parseHex("00e08000" + "00100000" + "03000000");
        int at = indexOf(image, needle);
        assertThat(at).isPositive();
        image[at + 8] = 7;
        assertThatThrownBy(() -> OvmfFirmware.of(image)).isInstanceOf(MeasurementException.class).hasMessageContaining("unknown type 0x7");
    }

    @Test
    void measurementTextRoundTrips() {
        SnpMeasurement m = new SnpMeasurement(new byte[48]);
        assertThat(SnpMeasurement.parse(m.hex())).isEqualTo(m);
        assertThat(SnpMeasurement.parse(m.base64())).isEqualTo(m);
        assertThat(SnpMeasurement.parse(m.hex().toUpperCase())).isEqualTo(m);
        assertThatThrownBy(() -> SnpMeasurement.parse("abc")).isInstanceOf(MeasurementException.class);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

}
