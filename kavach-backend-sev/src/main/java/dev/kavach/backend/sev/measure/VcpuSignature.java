package dev.kavach.backend.sev.measure;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The vCPU signature (CPUID Fn0000_0001_EAX: family, model, stepping) QEMU writes into each VMSA's RDX, and
 * the QEMU CPU models the reference implementation knows it for. Names match exactly, as QEMU's
 * {@code -cpu} and the reference's {@code --vcpu-type} do.
 */
public final class VcpuSignature {
    private static final Map<String, Long> TYPES;

    static {
        Map<String, Long> types = new LinkedHashMap<>();
        long naples = of(23, 1, 2);
        for (String name : new String[] {"EPYC", "EPYC-v1", "EPYC-v2", "EPYC-IBPB", "EPYC-v3", "EPYC-v4"}) {
            types.put(name, naples);
        }
        long rome = of(23, 49, 0);
        for (String name : new String[] {"EPYC-Rome", "EPYC-Rome-v1", "EPYC-Rome-v2", "EPYC-Rome-v3"}) {
            types.put(name, rome);
        }
        long milan = of(25, 1, 1);
        for (String name : new String[] {"EPYC-Milan", "EPYC-Milan-v1", "EPYC-Milan-v2"}) {
            types.put(name, milan);
        }
        long genoa = of(25, 17, 0);
        types.put("EPYC-Genoa", genoa);
        types.put("EPYC-Genoa-v1", genoa);
        long turin = of(26, 0, 0);
        types.put("EPYC-Turin", turin);
        types.put("EPYC-Turin-v1", turin); // in virtee/sev's table; sev-snp-measure lists EPYC-Turin only
        TYPES = Collections.unmodifiableMap(types);
    }

    private VcpuSignature() {
    }

    /**
     * The signature of a family, model and stepping (AMD CPUID specification #25481, Fn0000_0001_EAX):
     * families above 0xf are stored as 0xf plus an extended family.
     */
    public static long of(int family, int model, int stepping) {
        if (family < 0 || family > 0xf + 0xff || model < 0 || model > 0xff || stepping < 0 || stepping > 0xf) {
            throw new MeasurementException("vCPU family " + family + ", model " + model + ", stepping " + stepping
                    + " is out of range (family 0..270, model 0..255, stepping 0..15)");
        }
        int familyLow = family > 0xf ? 0xf : family;
        int familyHigh = family > 0xf ? (family - 0xf) & 0xff : 0;
        return ((long) familyHigh << 20) | ((long) ((model >> 4) & 0xf) << 16) | ((long) familyLow << 8) | ((long) (model & 0xf) << 4)
                | (stepping & 0xf);
    }

    /** The signature of a QEMU CPU model the reference knows, e.g. {@code EPYC-v4} (0x800f12). */
    public static Optional<Long> forType(String type) {
        return Optional.ofNullable(TYPES.get(type));
    }

    /** Like {@link #forType} but refusing an unknown name with the list of known ones. */
    public static long requireType(String type) {
        return forType(type).orElseThrow(() -> new MeasurementException("unknown vCPU type '" + type + "'; known types: "
                + String.join(", ", TYPES.keySet()) + " (or give the signature directly)"));
    }

    public static Map<String, Long> types() {
        return TYPES;
    }
}
