package dev.kavach.attestation.snp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * PLATFORM_INFO: how the host platform was configured when the report was made (SEV-SNP ABI 1.58):
 * bit 0 SMT enabled, 1 TSME enabled, 2 ECC memory, 3 RAPL disabled, 4 ciphertext hiding (DRAM) enabled,
 * 5 alias check complete (the BadRAM mitigation), 7 SEV-TIO enabled; bit 6 and bits 63:8 are reserved.
 *
 * @param raw the u64 as in the report
 */
public record PlatformInfo(long raw) {
    /** The bits the specification defines, by the names settings and options use. */
    public static final Map<String, Integer> BITS = bits();
    /** Every bit the specification defines; anything else set in a report is reserved. */
    public static final long KNOWN_MASK = BITS.values().stream().mapToLong(b -> 1L << b).reduce(0, (a, b) -> a | b);

    private static Map<String, Integer> bits() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("smt", 0);
        m.put("tsme", 1);
        m.put("ecc", 2);
        m.put("rapl-disabled", 3);
        m.put("ciphertext-hiding", 4);
        m.put("alias-check-complete", 5);
        m.put("tio", 7);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The bit of a name in {@link #BITS}, case-insensitive. */
    public static Optional<Integer> bit(String name) {
        return Optional.ofNullable(BITS.get(name.trim().toLowerCase(Locale.ROOT)));
    }

    /** The set bits that the specification reserves (must be zero in a report this verifier understands). */
    public long reservedBits() {
        return raw & ~KNOWN_MASK;
    }

    /** The names of the defined bits that are set. */
    public List<String> setNames() {
        List<String> names = new ArrayList<>();
        BITS.forEach((name, bit) -> {
            if (bit(bit)) {
                names.add(name);
            }
        });
        return names;
    }

    public boolean smtEnabled() {
        return bit(0);
    }

    public boolean tsmeEnabled() {
        return bit(1);
    }

    public boolean eccEnabled() {
        return bit(2);
    }

    public boolean raplDisabled() {
        return bit(3);
    }

    public boolean ciphertextHidingEnabled() {
        return bit(4);
    }

    public boolean aliasCheckComplete() {
        return bit(5);
    }

    public boolean tioEnabled() {
        return bit(7);
    }

    public boolean bit(int n) {
        return (raw >>> n & 1) == 1;
    }

    @Override
    public String toString() {
        return String.format("0x%x", raw);
    }
}
