package dev.kavach.attestation.snp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

/**
 * Test only: a simulated AMD PSP. It signs SEV-SNP reports with the VCEK of a {@link SyntheticChain}, a
 * self-made ARK/ASK/VCEK chain that AMD's pinned roots ({@link TrustAnchors#amd()}) never accept, so no
 * production appraisal can be fooled by it. It puts into each report what a real PSP would: the guest's
 * REPORT_DATA, the launch's HOST_DATA, POLICY and MEASUREMENT, VMPL 0.
 */
public final class SimulatedPsp {
    /** A clock inside the synthetic chain's validity (2024..2034). */
    public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    private final SyntheticChain chain = SyntheticChain.create(SevGeneration.MILAN);

    /** A signed report for this launch and REPORT_DATA. */
    public byte[] report(byte[] reportData, byte[] hostData, byte[] measurement, long policy) {
        if (reportData.length != 64 || hostData.length != 32 || measurement.length != 48) {
            throw new IllegalArgumentException("REPORT_DATA 64, HOST_DATA 32 and MEASUREMENT 48 bytes, got "
                    + reportData.length + ", " + hostData.length + ", " + measurement.length);
        }
        byte[] report = chain.report(reportData, policy);
        ByteBuffer b = ByteBuffer.wrap(report).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x090, measurement);
        b.put(0x0C0, hostData);
        return SyntheticChain.sign(report, chain.vcekKey);
    }

    /** This PSP's self-made ARK as the only trust anchor: what a test verifier injects; AMD's pinned roots refuse it. */
    public TrustAnchors anchors() {
        return chain.anchors();
    }

    /** A verifier that trusts this PSP's self-made ARK, and only it. */
    public SnpAttestationVerifier verifier() {
        return new SnpAttestationVerifier(new ReportVerifier(CLOCK, null, chain.anchors()));
    }

    /**
     * Puts the VCEK and the ASK/ARK chain where {@link CertificateStore} looks for them offline:
     * {@code Milan/vcek/<hwid>/<tcb>.der} and {@code Milan/cert_chain.pem}.
     */
    public void installCertificates(Path certDir) throws IOException {
        SevGeneration generation = chain.generation;
        Path vcek = certDir.resolve(generation.kdsName()).resolve("vcek").resolve(KdsClient.hwid(generation, chain.chipId))
                .resolve(String.format("%016x.der", chain.tcb.raw()));
        Files.createDirectories(vcek.getParent());
        try {
            Files.write(vcek, chain.vcek.getEncoded());
            Files.writeString(certDir.resolve(generation.kdsName()).resolve("cert_chain.pem"), pem(chain.ask) + pem(chain.ark),
                    StandardCharsets.US_ASCII);
        } catch (CertificateEncodingException e) {
            throw new IOException(e);
        }
    }

    private static String pem(X509Certificate cert) throws CertificateEncodingException {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }
}
