package dev.kavach.attestation.snp;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * An AMD EPYC generation with SEV-SNP: decides the TCB_VERSION byte layout, the key distribution
 * service path, and the pinned root key (ARK).
 */
public enum SevGeneration {
    MILAN("Milan", "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"),
    GENOA("Genoa", "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"),
    TURIN("Turin", "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a");

    private final String kdsName;
    private final byte[] arkSha256;

    SevGeneration(String kdsName, String arkSha256Hex) {
        this.kdsName = kdsName;
        this.arkSha256 = HexFormat.of().parseHex(arkSha256Hex);
    }

    /** The name in KDS paths and certificate names: {@code Milan}, {@code Genoa}, {@code Turin}. */
    public String kdsName() {
        return kdsName;
    }

    /**
     * SHA-256 over the DER of AMD's root key certificate (ARK) for this generation: the trust anchor.
     * Computed once from AMD's published ARKs; a test checks them against the files.
     */
    public byte[] arkSha256() {
        return arkSha256.clone();
    }

    /** Turin moved the TCB components around (FMC first) and shortened the hwID to 8 bytes. */
    public boolean turinLayout() {
        return this == TURIN;
    }

    /** From a VCEK/VLEK product-name extension such as {@code "Milan-B0"} or {@code "Turin"}. */
    public static Optional<SevGeneration> byProductName(String productName) {
        String lower = productName.toLowerCase(Locale.ROOT);
        for (SevGeneration g : values()) {
            if (lower.startsWith(g.kdsName.toLowerCase(Locale.ROOT))) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /** By name, case-insensitive ({@code milan}, {@code Genoa}). */
    public static Optional<SevGeneration> byName(String name) {
        for (SevGeneration g : values()) {
            if (g.kdsName.equalsIgnoreCase(name)) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /**
     * From the CPUID family and model a version 3+ report carries: family 19h models 00h-0Fh are Milan,
     * 10h-1Fh and A0h-AFh Genoa (incl. Bergamo/Siena); family 1Ah models 00h-1Fh are Turin.
     */
    public static Optional<SevGeneration> byCpuid(int family, int model) {
        if (family == 0x19 && model <= 0x0F) {
            return Optional.of(MILAN);
        }
        if (family == 0x19 && (model >= 0x10 && model <= 0x1F || model >= 0xA0 && model <= 0xAF)) {
            return Optional.of(GENOA);
        }
        if (family == 0x1A && model <= 0x1F) {
            return Optional.of(TURIN);
        }
        return Optional.empty();
    }
}
