package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GUID certificate table of extended reports / configfs-tsm auxblob, and VLEK chains verified from it alone. */
class CertificateTableTest {
    static final Clock INSIDE = Clock.fixed(Instant.parse("2025-06-01T00:00:00Z"), ZoneOffset.UTC);

    /** A table laid out by hand as the GHCB specification describes it: GUID bytes, u32 LE offset, u32 LE length, zero entry. */
    static byte[] table(String[] guidHex, byte[][] certs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int offset = (certs.length + 1) * 24;
        for (int i = 0; i < certs.length; i++) {
            out.writeBytes(HexFormat.of().parseHex(guidHex[i].replace("-", "")));
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(offset).putInt(certs[i].length).array());
            offset += certs[i].length;
        }
        out.writeBytes(new byte[24]);
        for (byte[] c : certs) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    static byte[] der(String relative) throws Exception {
        return SharedVectors.cert(relative).getEncoded();
    }

    @Test
    void theTrusteeVlekReportVerifiesFromItsTableWithoutKdsOrCache(@TempDir Path empty) throws Exception {
        SharedVectors.require();
        SharedVectors.Vector v = SharedVectors.TRUSTEE_VLEK;
        byte[] bytes = table(new String[] {"a8074bc2-a25a-483e-aae6-39c045a0b8a1", "4ab7b379-bbac-4fe4-a02f-05aef327c782",
                "c0b406a4-a803-4952-9743-3fb6014cd0ae"}, new byte[][] {der(v.vek()), der(v.ask()), der(v.ark())});
        CertificateTable table = CertificateTable.parse(bytes);
        assertEquals(List.of(CertificateTable.VLEK, CertificateTable.ASK, CertificateTable.ARK), table.entries().stream().map(CertificateTable.Entry::guid).toList());
        assertArrayEquals(bytes, CertificateTable.encode(table.entries()), "encode writes what parse reads");

        AttestationReport report = v.parse();
        assertEquals(SigningKey.VLEK, report.signingKey());
        VekChain chain = new CertificateStore(empty, null).chainFor(report, table);
        AttestationResult r = new SnpAttestationVerifier(new ReportVerifier(INSIDE)).verify(report, chain, AppraisalPolicy.builder().maxVmpl(1).build());
        assertTrue(r.passed(), () -> r.failures().toString());
        assertTrue(r.passed("ask.signed-by-ark") && r.checks().stream().anyMatch(c -> c.detail().contains("ASVK")), r.checks().toString());
    }

    @Test
    void aVlekTableWithoutChainTakesTheAsvkChainFromTheCache(@TempDir Path dir) throws Exception {
        SharedVectors.require();
        SharedVectors.Vector v = SharedVectors.TRUSTEE_VLEK;
        byte[] bytes = table(new String[] {"a8074bc2-a25a-483e-aae6-39c045a0b8a1"}, new byte[][] {der(v.vek())});
        CertificateStore offline = new CertificateStore(dir, null);
        CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                () -> offline.chainFor(v.parse(), CertificateTable.parse(bytes)));
        assertTrue(e.getMessage().contains("vlek_cert_chain.pem"), e.getMessage());
        java.nio.file.Files.createDirectories(dir.resolve("Milan"));
        java.nio.file.Files.writeString(dir.resolve("Milan/vlek_cert_chain.pem"),
                CertificateFiles.pem(SharedVectors.cert(v.ask())) + CertificateFiles.pem(SharedVectors.cert(v.ark())));
        VekChain chain = offline.chainFor(v.parse(), CertificateTable.parse(bytes));
        assertTrue(new SnpAttestationVerifier(new ReportVerifier(INSIDE)).verify(v.parse(), chain, AppraisalPolicy.builder().maxVmpl(1).build()).passed());
    }

    @Test
    void aVlekReportWithoutItsCertificateSaysToPassTheTable(@TempDir Path dir) {
        SharedVectors.require();
        CertificateUnavailableException e = assertThrows(CertificateUnavailableException.class,
                () -> new CertificateStore(dir, null).chainFor(SharedVectors.TRUSTEE_VLEK.parse(), java.util.Optional.empty(), List.of()));
        assertTrue(e.fix().contains("auxblob") && e.fix().contains("--cert-table"), e.fix());
    }

    @Test
    void malformedTablesAreRefusedNamingTheEntry() throws Exception {
        SharedVectors.require();
        byte[] vcek = der(SharedVectors.VIRTEE_MILAN.vek());
        byte[] good = table(new String[] {"63da758d-e664-4564-adc5-f4b93be8accd"}, new byte[][] {vcek});
        assertEquals(1, CertificateTable.parse(good).entries().size());
        assertTrue(CertificateTable.parse(good).vek(SigningKey.VCEK).isPresent());
        assertTrue(CertificateTable.parse(new byte[0]).entries().isEmpty(), "a host that supplies no certificates");

        byte[] noTerminator = java.util.Arrays.copyOf(good, 24);
        assertTrue(assertThrows(CertificateUnavailableException.class, () -> CertificateTable.parse(noTerminator)).getMessage()
                .contains("terminating entry"));
        byte[] outside = good.clone();
        ByteBuffer.wrap(outside).order(ByteOrder.LITTLE_ENDIAN).putInt(20, vcek.length + 1);
        assertTrue(assertThrows(CertificateUnavailableException.class, () -> CertificateTable.parse(outside)).getMessage()
                .contains("entry 0 (63da758d-e664-4564-adc5-f4b93be8accd)"));
        byte[] intoHeader = good.clone();
        ByteBuffer.wrap(intoHeader).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 8);
        assertThrows(CertificateUnavailableException.class, () -> CertificateTable.parse(intoHeader));
        byte[] garbage = table(new String[] {"63da758d-e664-4564-adc5-f4b93be8accd"}, new byte[][] {new byte[] {1, 2, 3}});
        assertTrue(assertThrows(CertificateUnavailableException.class, () -> CertificateTable.parse(garbage).vek(SigningKey.VCEK))
                .getMessage().contains("certificate table entry VCEK"));
    }
}
