package dev.kavach.attestation.snp;

import javax.security.auth.x500.X500Principal;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A self-made AMD-shaped chain built with the JDK only: ARK and ASK (RSA 4096, RSASSA-PSS SHA-384,
 * MGF1-SHA-384, salt 48), a VCEK (EC P-384) carrying AMD's TCB, product-name and hwID extensions, and
 * signed reports. The RSA keys are generated once per test JVM (slow); VCEKs per chain.
 */
public final class SyntheticChain {
    public static final PSSParameterSpec PSS = new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1);
    private static final String AMD_DN = "OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, ";
    private static KeyPair arkKeys;
    private static KeyPair askKeys;

    public final SevGeneration generation;
    public final X509Certificate ark;
    public final X509Certificate ask;
    public final X509Certificate vcek;
    public final PrivateKey vcekKey;
    public final byte[] chipId;
    public final TcbVersion tcb;

    private SyntheticChain(SevGeneration generation, X509Certificate ark, X509Certificate ask, X509Certificate vcek, PrivateKey vcekKey,
                           byte[] chipId, TcbVersion tcb) {
        this.generation = generation;
        this.ark = ark;
        this.ask = ask;
        this.vcek = vcek;
        this.vcekKey = vcekKey;
        this.chipId = chipId;
        this.tcb = tcb;
    }

    public static synchronized KeyPair rsa(boolean root) throws GeneralSecurityException {
        if (arkKeys == null) {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(4096);
            arkKeys = gen.generateKeyPair();
            askKeys = gen.generateKeyPair();
        }
        return root ? arkKeys : askKeys;
    }

    /** A chain for {@code generation} valid 2024-01-01 .. 2034-01-01, VCEK for a random-looking chip at a fixed TCB. */
    public static SyntheticChain create(SevGeneration generation) {
        return create(generation, Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2034-01-01T00:00:00Z"), (byte) 0x5A);
    }

    public static SyntheticChain create(SevGeneration generation, Instant notBefore, Instant notAfter, byte chipSeed) {
        try {
            String name = generation.kdsName();
            KeyPair ark = rsa(true);
            KeyPair ask = rsa(false);
            KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
            ecGen.initialize(new ECGenParameterSpec("secp384r1"));
            KeyPair vek = ecGen.generateKeyPair();
            byte[] chipId = new byte[64];
            int idLength = generation.turinLayout() ? 8 : 64;
            for (int i = 0; i < idLength; i++) {
                chipId[i] = (byte) (chipSeed + 7 * i);
            }
            TcbVersion tcb = generation.turinLayout()
                    ? TcbVersion.of(generation, Map.of("fmc", 1, "boot_loader", 2, "tee", 3, "snp", 4, "microcode", 5))
                    : TcbVersion.of(generation, Map.of("boot_loader", 3, "tee", 0, "snp", 8, "microcode", 115));
            X509Certificate arkCert = certificate(AMD_DN + "CN=ARK-" + name, AMD_DN + "CN=ARK-" + name, ark.getPublic(), ark.getPrivate(),
                    Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2045-01-01T00:00:00Z"), List.of());
            X509Certificate askCert = certificate(AMD_DN + "CN=ARK-" + name, AMD_DN + "CN=SEV-" + name, ask.getPublic(), ark.getPrivate(),
                    Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2045-01-01T00:00:00Z"), List.of());
            List<byte[]> ext = new ArrayList<>();
            ext.add(extension("1.3.6.1.4.1.3704.1.1", Der.integer(1)));
            ext.add(extension("1.3.6.1.4.1.3704.1.2", Der.tlv(Der.IA5_STRING, (generation.turinLayout() ? name : name + "-B0").getBytes(StandardCharsets.US_ASCII))));
            if (generation.turinLayout()) {
                ext.add(extension(VekCertificate.OID_FMC, Der.integer(tcb.fmc())));
            }
            ext.add(extension(VekCertificate.OID_BOOT_LOADER, Der.integer(tcb.bootLoader())));
            ext.add(extension(VekCertificate.OID_TEE, Der.integer(tcb.tee())));
            ext.add(extension(VekCertificate.OID_SNP, Der.integer(tcb.snp())));
            for (int i = 4; i <= 7; i++) {
                ext.add(extension("1.3.6.1.4.1.3704.1.3." + i, Der.integer(0)));
            }
            ext.add(extension(VekCertificate.OID_MICROCODE, Der.integer(tcb.microcode())));
            ext.add(extension(VekCertificate.OID_HWID, java.util.Arrays.copyOf(chipId, idLength)));
            X509Certificate vcekCert = certificate(AMD_DN + "CN=SEV-" + name, AMD_DN + "CN=SEV-VCEK", vek.getPublic(), ask.getPrivate(),
                    notBefore, notAfter, ext);
            return new SyntheticChain(generation, arkCert, askCert, vcekCert, vek.getPrivate(), chipId, tcb);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public VekChain chain() {
        return new VekChain(vcek, ask, ark);
    }

    /** Anchors that trust this chain's ARK for its generation. */
    public TrustAnchors anchors() {
        return TrustAnchors.of(Map.of(generation, ReportVerifier.sha256(ark)));
    }

    /** A plausible version-3 report for this chip and TCB, signed by the VCEK. */
    public byte[] report(byte[] reportData, long policy) {
        ByteBuffer b = ByteBuffer.allocate(AttestationReport.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x000, 3);
        b.putInt(0x004, 1);
        b.putLong(0x008, policy);
        b.putInt(0x030, 0);
        b.putInt(0x034, 1);
        b.putLong(0x038, tcb.raw());
        b.putLong(0x040, 1);
        b.put(0x050, reportData);
        for (int i = 0; i < 48; i++) {
            b.put(0x090 + i, (byte) (0xA0 + i));
        }
        b.putLong(0x180, tcb.raw());
        if (generation.turinLayout()) {
            b.put(0x188, (byte) 0x1A).put(0x189, (byte) 0x02).put(0x18A, (byte) 0x01);
        } else {
            b.put(0x188, (byte) 0x19).put(0x189, (byte) (generation == SevGeneration.GENOA ? 0x11 : 0x01)).put(0x18A, (byte) 0x01);
        }
        b.put(0x1A0, chipId);
        b.putLong(0x1E0, tcb.raw());
        b.put(0x1E8, (byte) 3).put(0x1E9, (byte) 55).put(0x1EA, (byte) 1);
        b.put(0x1EC, (byte) 3).put(0x1ED, (byte) 55).put(0x1EE, (byte) 1);
        b.putLong(0x1F0, tcb.raw());
        return sign(b.array(), vcekKey);
    }

    /** Signs bytes 0x000..0x29F with {@code key}, writing r and s little-endian into 0x2A0 and 0x2E8. */
    public static byte[] sign(byte[] report, PrivateKey key) {
        try {
            Signature ecdsa = Signature.getInstance("SHA384withECDSA");
            ecdsa.initSign(key);
            ecdsa.update(report, 0, AttestationReport.SIGNED_LENGTH);
            byte[] der = ecdsa.sign();
            byte[] seq = Der.readOnly(der, Der.SEQUENCE);
            Der.Tlv r = Der.read(seq, 0);
            Der.Tlv s = Der.read(seq, r.totalLength());
            byte[] out = report.clone();
            java.util.Arrays.fill(out, 0x2A0, AttestationReport.LENGTH, (byte) 0);
            putLittleEndian(out, 0x2A0, new BigInteger(1, r.contents()));
            putLittleEndian(out, 0x2E8, new BigInteger(1, s.contents()));
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putLittleEndian(byte[] out, int offset, BigInteger value) {
        byte[] be = value.toByteArray();
        for (int i = 0; i < be.length && i < 72; i++) {
            out[offset + i] = be[be.length - 1 - i];
        }
    }

    private static byte[] extension(String oid, byte[] value) {
        return Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    /** The tiny TBSCertificate encoder: v3, serial, PSS algorithm, names, validity, SPKI, extensions. */
    public static X509Certificate certificate(String issuer, String subject, PublicKey key, PrivateKey signer, Instant notBefore,
                                       Instant notAfter, List<byte[]> extensions) throws GeneralSecurityException {
        AlgorithmParameters params = AlgorithmParameters.getInstance("RSASSA-PSS");
        params.init(PSS);
        byte[] algorithm;
        try {
            algorithm = Der.sequence(Der.oid("1.2.840.113549.1.1.10"), params.getEncoded());
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        List<byte[]> tbsParts = new ArrayList<>(List.of(
                Der.tlv(0xA0, Der.integer(2)),
                Der.integer(new BigInteger(64, new java.util.Random(subject.hashCode() ^ key.hashCode())).add(BigInteger.ONE)),
                algorithm,
                new X500Principal(issuer).getEncoded(),
                Der.sequence(time(notBefore), time(notAfter)),
                new X500Principal(subject).getEncoded(),
                key.getEncoded()));
        if (!extensions.isEmpty()) {
            tbsParts.add(Der.tlv(0xA3, Der.sequence(extensions.toArray(byte[][]::new))));
        }
        byte[] tbs = Der.sequence(tbsParts.toArray(byte[][]::new));
        Signature pss = Signature.getInstance("RSASSA-PSS");
        pss.setParameter(PSS);
        pss.initSign(signer);
        pss.update(tbs);
        byte[] signature = pss.sign();
        byte[] bitString = new byte[signature.length + 1];
        System.arraycopy(signature, 0, bitString, 1, signature.length);
        byte[] der = Der.sequence(tbs, algorithm, Der.tlv(Der.BIT_STRING, bitString));
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static byte[] time(Instant instant) {
        String text = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(instant);
        return Der.tlv(Der.UTC_TIME, text.getBytes(StandardCharsets.US_ASCII));
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
