package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttestationReportTest {
    private static final HexFormat HEX = HexFormat.of();

    /** A well-formed unsigned-looking version-N report. */
    static byte[] minimal(int version) {
        ByteBuffer b = ByteBuffer.allocate(AttestationReport.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, version);
        b.putLong(8, 0x30000);
        b.putInt(0x34, 1);
        return b.array();
    }

    @Test
    void decodesTheVirteeMilanReport() {
        SharedVectors.require();
        AttestationReport r = SharedVectors.VIRTEE_MILAN.parse();
        assertEquals(2, r.version());
        assertEquals(0x30000, r.policy().raw());
        assertTrue(r.policy().smtAllowed());
        assertFalse(r.policy().debugAllowed());
        assertEquals(SigningKey.VCEK, r.signingKey());
        TcbVersion tcb = r.reportedTcb(SevGeneration.MILAN);
        assertEquals(Map.of("boot_loader", 3, "tee", 0, "snp", 8, "microcode", 115), tcb.components());
        assertTrue(r.cpuidFamily().isEmpty(), "version 2 carries no CPUID");
        assertTrue(r.generationFromCpuid().isEmpty());
        assertEquals("d49554ec717f4e5b", HEX.formatHex(r.chipId()).substring(0, 16));
        assertEquals(new FirmwareVersion(1, 52, 4), r.currentVersion());
        assertEquals("7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
                HEX.formatHex(r.measurement()));
    }

    @Test
    void decodesTheVlekVersion3Report() {
        SharedVectors.require();
        AttestationReport r = SharedVectors.TRUSTEE_VLEK.parse();
        assertEquals(3, r.version());
        assertEquals(SigningKey.VLEK, r.signingKey());
        assertEquals(1, r.vmpl());
        assertTrue(r.chipIdMasked());
        assertEquals(0x19, r.cpuidFamily().getAsInt());
        assertEquals(0x01, r.cpuidModel().getAsInt());
        assertEquals(SevGeneration.MILAN, r.generationFromCpuid().orElseThrow());
        assertTrue(r.launchMitVector().isEmpty(), "mitigation vectors exist from version 5");
    }

    @Test
    void decodesTheIdBlockReport() {
        SharedVectors.require();
        AttestationReport r = SharedVectors.TRUSTEE_IDBLOCK.parse();
        assertEquals(4, r.guestSvn());
        assertEquals(1, r.familyId()[0]);
        assertEquals(2, r.imageId()[0]);
        assertFalse(HEX.formatHex(r.idKeyDigest()).matches("0+"), "id_key_digest is set");
        assertTrue(r.currentTcbRaw() != r.reportedTcbRaw(), "CURRENT_TCB differs from REPORTED_TCB in this vector");
    }

    @Test
    void version5ExposesMitigationVectorsAndTurinCpuid() {
        byte[] b = minimal(5);
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        le.putLong(0x1F8, 0x11);
        le.putLong(0x200, 0x13);
        b[0x188] = 0x1A;
        b[0x189] = 0x02;
        le.putLong(0x180, 0x0900000004030201L);
        AttestationReport r = AttestationReport.parse(b);
        assertEquals(0x11, r.launchMitVector().getAsLong());
        assertEquals(0x13, r.currentMitVector().getAsLong());
        assertEquals(SevGeneration.TURIN, r.generationFromCpuid().orElseThrow());
        TcbVersion tcb = r.reportedTcb(SevGeneration.TURIN);
        assertEquals(1, tcb.fmc());
        assertEquals(2, tcb.bootLoader());
        assertEquals(3, tcb.tee());
        assertEquals(4, tcb.snp());
        assertEquals(9, tcb.microcode());
        assertEquals(java.util.List.of("fmc", "boot_loader", "tee", "snp", "microcode"), java.util.List.copyOf(tcb.components().keySet()));
        // Same bytes through the Milan/Genoa layout name different components.
        TcbVersion milan = r.reportedTcb(SevGeneration.MILAN);
        assertEquals(1, milan.bootLoader());
        assertEquals(0, milan.snp());
    }

    @Test
    void tcbRoundTripsThroughComponents() {
        for (SevGeneration g : SevGeneration.values()) {
            TcbVersion tcb = TcbVersion.of(g, Map.of("boot_loader", 7, "tee", 1, "snp", 22, "microcode", 210));
            assertEquals(tcb, TcbVersion.of(g, tcb.components()));
        }
        assertThrows(IllegalArgumentException.class, () -> TcbVersion.of(SevGeneration.MILAN, Map.of("fmc", 1)));
        assertThrows(IllegalArgumentException.class, () -> TcbVersion.of(SevGeneration.MILAN, Map.of("snp", 256)));
    }

    @Test
    void rejectsAWrongLengthNamingIt() {
        ReportParseException e = assertThrows(ReportParseException.class, () -> AttestationReport.parse(new byte[1183]));
        assertEquals("report", e.field());
        assertTrue(e.getMessage().contains("1183"), e.getMessage());
        assertThrows(ReportParseException.class, () -> AttestationReport.parse(new byte[0]));
        assertThrows(ReportParseException.class, () -> AttestationReport.parse(new byte[4000]));
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "6", "255"})
    void rejectsVersionsOutside2To5(int version) {
        ReportParseException e = assertThrows(ReportParseException.class, () -> AttestationReport.parse(minimal(version)));
        assertEquals("version", e.field());
        assertEquals(0, e.offset());
    }

    @Test
    void acceptsVersions2To5() {
        for (int v : new int[] {2, 3, 4, 5}) {
            assertEquals(v, AttestationReport.parse(minimal(v)).version());
        }
    }

    @Test
    void version4HasVersion3sLayoutAndVersion5AddsTheMitigationVectors() {
        for (int v : new int[] {2, 3, 4, 5}) {
            byte[] b = minimal(v);
            b[0x188] = 0x19;
            b[0x189] = 0x11;
            b[0x18A] = 0x01;
            java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0x1F8, 0x5).putLong(0x200, 0x7);
            if (v == 2) {
                // CPUID bytes are reserved in version 2.
                ReportParseException e = assertThrows(ReportParseException.class, () -> AttestationReport.parse(b));
                assertEquals("reserved (after reported_tcb)", e.field());
                continue;
            }
            if (v < 5) {
                // 0x1F8.. is reserved before version 5.
                ReportParseException e = assertThrows(ReportParseException.class, () -> AttestationReport.parse(b));
                assertEquals("reserved (after launch_tcb)", e.field(), "version " + v);
                java.util.Arrays.fill(b, 0x1F8, 0x208, (byte) 0);
            }
            AttestationReport r = AttestationReport.parse(b);
            assertEquals(SevGeneration.GENOA, r.generationFromCpuid().orElseThrow(), "version " + v + " reads CPUID");
            assertEquals(0x01, r.cpuidStepping().getAsInt());
            assertEquals(v == 5, r.launchMitVector().isPresent(), "version " + v);
            if (v == 5) {
                assertEquals(5, r.launchMitVector().getAsLong());
                assertEquals(7, r.currentMitVector().getAsLong());
            }
        }
        byte[] v5 = minimal(5);
        v5[0x208] = 1;
        assertEquals("reserved (after launch_tcb)", assertThrows(ReportParseException.class, () -> AttestationReport.parse(v5)).field(),
                "after the version 5 additions the area is reserved again");
    }

    @Test
    void rejectsAnUnknownSignatureAlgorithm() {
        byte[] b = minimal(2);
        b[0x34] = 2;
        ReportParseException e = assertThrows(ReportParseException.class, () -> AttestationReport.parse(b));
        assertEquals("signature_algo", e.field());
        assertEquals(0x34, e.offset());
        assertTrue(e.getMessage().contains("0x034"), e.getMessage());
    }

    @Test
    void rejectsReservedKeyInfoBitsAndSigningKeys() {
        byte[] b = minimal(3);
        b[0x48] = (byte) 0x20;
        assertEquals("key_info", assertThrows(ReportParseException.class, () -> AttestationReport.parse(b)).field());
        byte[] c = minimal(3);
        c[0x48] = (byte) (2 << 2);
        assertEquals("key_info.signing_key", assertThrows(ReportParseException.class, () -> AttestationReport.parse(c)).field());
        byte[] d = minimal(3);
        d[0x48] = (byte) (7 << 2);
        assertEquals(SigningKey.NONE, AttestationReport.parse(d).signingKey());
    }

    /** Each must-be-zero area, set non-zero, is named with its starting offset. */
    @ParameterizedTest
    @CsvSource({
            "2, 0x04C, 0x04C", "2, 0x188, 0x188", "2, 0x19F, 0x188", "3, 0x18B, 0x18B", "3, 0x1EB, 0x1EB", "3, 0x1EF, 0x1EF",
            "2, 0x1F8, 0x1F8", "3, 0x29F, 0x1F8", "5, 0x208, 0x208", "5, 0x2D0, 0x2D0", "5, 0x318, 0x318", "5, 0x330, 0x330", "5, 0x49F, 0x330"})
    void rejectsNonZeroReservedAreas(int version, String byteOffset, String fieldOffset) {
        byte[] b = minimal(version);
        b[Integer.decode(byteOffset)] = 1;
        ReportParseException e = assertThrows(ReportParseException.class, () -> AttestationReport.parse(b));
        assertEquals(Integer.decode(fieldOffset), e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(String.format("0x%03X", Integer.decode(byteOffset))), e.getMessage());
    }

    @Test
    void fieldsThatAreReservedInOldVersionsAreDataInNewOnes() {
        byte[] v3 = minimal(3);
        v3[0x188] = 0x19;
        assertEquals(0x19, AttestationReport.parse(v3).cpuidFamily().getAsInt());
        byte[] v5 = minimal(5);
        v5[0x1F8] = 1;
        assertEquals(1, AttestationReport.parse(v5).launchMitVector().getAsLong());
    }

    @Test
    void accessorsReturnCopies() {
        byte[] b = minimal(2);
        AttestationReport r = AttestationReport.parse(b);
        b[0x90] = 9;
        r.measurement()[0] = 9;
        assertEquals(0, r.measurement()[0]);
        assertArrayEquals(java.util.Arrays.copyOf(minimal(2), 0x2A0), r.signedBytes());
    }
}
