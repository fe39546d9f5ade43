package dev.kavach.attestation.snp;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * A versioned endorsement key certificate (VCEK or VLEK) and the AMD extensions it carries: the TCB it
 * was issued for (1.3.6.1.4.1.3704.1.3.*), the chip it belongs to (hwID, 1.3.6.1.4.1.3704.1.4; VCEK
 * only) and the product name (1.3.6.1.4.1.3704.1.2).
 */
public final class VekCertificate {
    static final String OID_PRODUCT_NAME = "1.3.6.1.4.1.3704.1.2";
    static final String OID_BOOT_LOADER = "1.3.6.1.4.1.3704.1.3.1";
    static final String OID_TEE = "1.3.6.1.4.1.3704.1.3.2";
    static final String OID_SNP = "1.3.6.1.4.1.3704.1.3.3";
    static final String OID_MICROCODE = "1.3.6.1.4.1.3704.1.3.8";
    static final String OID_FMC = "1.3.6.1.4.1.3704.1.3.9";
    static final String OID_HWID = "1.3.6.1.4.1.3704.1.4";

    private final X509Certificate certificate;

    public VekCertificate(X509Certificate certificate) {
        this.certificate = requireNonNull(certificate, "certificate is null");
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** VLEK certificates are issued to {@code CN=SEV-VLEK}; everything else is treated as a VCEK. */
    public SigningKey kind() {
        return commonName(certificate.getSubjectX500Principal().getName()).equals("SEV-VLEK") ? SigningKey.VLEK : SigningKey.VCEK;
    }

    static String commonName(String rfc2253) {
        for (String part : rfc2253.split(",")) {
            String p = part.trim();
            if (p.startsWith("CN=")) {
                return p.substring(3);
            }
        }
        return "";
    }

    /** The product name extension, e.g. {@code Milan-B0}, {@code Genoa}, {@code Turin}. */
    public Optional<String> productName() {
        return extension(OID_PRODUCT_NAME).map(v -> {
            Der.Tlv tlv = Der.read(v, 0);
            return new String(tlv.contents(), StandardCharsets.US_ASCII);
        });
    }

    /** The hwID extension: 64 bytes on Milan and Genoa, 8 on Turin; absent on VLEKs. */
    public Optional<byte[]> hwid() {
        return extension(OID_HWID);
    }

    /** One TCB component SPL from its extension, or empty when the certificate lacks it. */
    public OptionalInt spl(String oid) {
        Optional<byte[]> value = extension(oid);
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        byte[] content = Der.readOnly(value.get(), Der.INTEGER);
        return OptionalInt.of(new java.math.BigInteger(content).intValueExact());
    }

    /**
     * The TCB this certificate was issued for, assembled from its SPL extensions in {@code layout}'s byte
     * order (components the certificate lacks are 0).
     */
    public TcbVersion tcb(SevGeneration layout) {
        java.util.Map<String, Integer> components = new java.util.LinkedHashMap<>();
        if (layout.turinLayout()) {
            components.put("fmc", spl(OID_FMC).orElse(0));
        }
        components.put("boot_loader", spl(OID_BOOT_LOADER).orElse(0));
        components.put("tee", spl(OID_TEE).orElse(0));
        components.put("snp", spl(OID_SNP).orElse(0));
        components.put("microcode", spl(OID_MICROCODE).orElse(0));
        return TcbVersion.of(layout, components);
    }

    /** The extension's value (the contents of its extnValue OCTET STRING). */
    Optional<byte[]> extension(String oid) {
        byte[] wrapped = certificate.getExtensionValue(oid);
        if (wrapped == null) {
            return Optional.empty();
        }
        return Optional.of(Der.readOnly(wrapped, Der.OCTET_STRING));
    }
}
