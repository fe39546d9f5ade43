package dev.kavach.attestation.snp;

import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A TCB_VERSION (security patch levels of the SEV firmware components), decoded for one generation's
 * layout. Milan and Genoa: byte 0 boot loader, 1 TEE, 6 SNP, 7 microcode. Turin: 0 FMC, 1 boot loader,
 * 2 TEE, 3 SNP, 7 microcode.
 *
 * @param raw    the 8 bytes as a little-endian u64
 * @param layout the generation whose layout decodes {@code raw}
 */
public record TcbVersion(long raw, SevGeneration layout) {
    public TcbVersion {
        requireNonNull(layout, "layout is null");
    }

    private int at(int index) {
        return (int) (raw >>> (8 * index)) & 0xFF;
    }

    public int bootLoader() {
        return layout.turinLayout() ? at(1) : at(0);
    }

    public int tee() {
        return layout.turinLayout() ? at(2) : at(1);
    }

    public int snp() {
        return layout.turinLayout() ? at(3) : at(6);
    }

    public int microcode() {
        return at(7);
    }

    /** The FMC (first mutable code) SPL: Turin only, -1 elsewhere. */
    public int fmc() {
        return layout.turinLayout() ? at(0) : -1;
    }

    /**
     * The components by name in layout order: {@code fmc} (Turin), {@code boot_loader}, {@code tee},
     * {@code snp}, {@code microcode}.
     */
    public Map<String, Integer> components() {
        Map<String, Integer> map = new LinkedHashMap<>();
        if (layout.turinLayout()) {
            map.put("fmc", fmc());
        }
        map.put("boot_loader", bootLoader());
        map.put("tee", tee());
        map.put("snp", snp());
        map.put("microcode", microcode());
        return java.util.Collections.unmodifiableMap(map);
    }

    /** Builds a TCB_VERSION from named components ({@code fmc} only for Turin); absent ones are 0. */
    public static TcbVersion of(SevGeneration layout, Map<String, Integer> components) {
        requireNonNull(components, "components is null");
        long raw = 0;
        for (Map.Entry<String, Integer> e : components.entrySet()) {
            int value = e.getValue();
            if (value < 0 || value > 255) {
                throw new IllegalArgumentException("TCB component " + e.getKey() + " must be 0..255, got " + value);
            }
            int index = switch (e.getKey()) {
                case "fmc" -> {
                    if (!layout.turinLayout()) {
                        throw new IllegalArgumentException("TCB component fmc exists on Turin only, not " + layout.kdsName());
                    }
                    yield 0;
                }
                case "boot_loader" -> layout.turinLayout() ? 1 : 0;
                case "tee" -> layout.turinLayout() ? 2 : 1;
                case "snp" -> layout.turinLayout() ? 3 : 6;
                case "microcode" -> 7;
                default -> throw new IllegalArgumentException("unknown TCB component '" + e.getKey()
                        + "': expected fmc, boot_loader, tee, snp or microcode");
            };
            raw |= ((long) value) << (8 * index);
        }
        return new TcbVersion(raw, layout);
    }

    @Override
    public String toString() {
        return String.format("%016x", raw) + " " + components();
    }
}
