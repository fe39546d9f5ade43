package dev.kavach.attestation.snp;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * What a relying party requires of a report whose signature is valid: the checks of go-sev-guest's
 * {@code validate} and trustee's SNP verifier. Defaults are strict where a lax default would be unsafe:
 * VMPL 0 only, no debug, no migration agent, no reserved PLATFORM_INFO bits; everything else accepts any
 * value until set. Build with {@link #builder()}.
 *
 * @param expectedMeasurements    accepted MEASUREMENT values (hex, 96 digits); empty accepts any
 * @param reportData              the exact REPORT_DATA required (64 bytes; the nonce binding), if any
 * @param hostData                the exact HOST_DATA required (32 bytes), if any
 * @param launchedPolicy          the guest policy the VM was launched with: the report's POLICY must equal it
 * @param minimumTcb              minimum REPORTED_TCB per component (boot_loader, tee, snp, microcode, fmc)
 * @param minimumCommittedTcb     minimum COMMITTED_TCB per component (what the firmware cannot roll back below)
 * @param minimumLaunchTcb        minimum LAUNCH_TCB per component (the TCB when the guest was launched)
 * @param minimumFirmware         minimum firmware version, required of both CURRENT and COMMITTED versions
 * @param minimumGuestSvn         minimum GUEST_SVN
 * @param maxVmpl                 highest VMPL accepted (0, the default, is the most privileged level)
 * @param allowDebug              accept guests whose policy allows debugging (the host can read their memory)
 * @param allowMigrationAgent     accept guests whose policy allows a migration agent
 * @param allowSmt                empty accepts either; {@code false} rejects a policy that allows SMT
 * @param requiredPlatformInfo    PLATFORM_INFO bits that must be set (mask)
 * @param forbiddenPlatformInfo   PLATFORM_INFO bits that must be clear (mask)
 * @param idKeyDigests            accepted ID_KEY_DIGEST values (hex); empty accepts any
 * @param authorKeyDigests        accepted AUTHOR_KEY_DIGEST values (hex); empty accepts any
 */
public record AppraisalPolicy(Set<String> expectedMeasurements, Optional<byte[]> reportData, Optional<byte[]> hostData,
                              Optional<Long> launchedPolicy, Map<String, Integer> minimumTcb, Map<String, Integer> minimumCommittedTcb,
                              Map<String, Integer> minimumLaunchTcb, Optional<FirmwareVersion> minimumFirmware, long minimumGuestSvn,
                              int maxVmpl, boolean allowDebug, boolean allowMigrationAgent, Optional<Boolean> allowSmt,
                              long requiredPlatformInfo, long forbiddenPlatformInfo, Set<String> idKeyDigests, Set<String> authorKeyDigests) {
    /** The TCB component names, in the order checks list them. */
    public static final Set<String> TCB_COMPONENTS = Set.of("fmc", "boot_loader", "tee", "snp", "microcode");

    public AppraisalPolicy {
        expectedMeasurements = Set.copyOf(requireNonNull(expectedMeasurements, "expectedMeasurements is null"));
        requireNonNull(reportData, "reportData is null");
        requireNonNull(hostData, "hostData is null");
        requireNonNull(launchedPolicy, "launchedPolicy is null");
        minimumTcb = Map.copyOf(requireNonNull(minimumTcb, "minimumTcb is null"));
        minimumCommittedTcb = Map.copyOf(requireNonNull(minimumCommittedTcb, "minimumCommittedTcb is null"));
        minimumLaunchTcb = Map.copyOf(requireNonNull(minimumLaunchTcb, "minimumLaunchTcb is null"));
        requireNonNull(minimumFirmware, "minimumFirmware is null");
        requireNonNull(allowSmt, "allowSmt is null");
        idKeyDigests = Set.copyOf(requireNonNull(idKeyDigests, "idKeyDigests is null"));
        authorKeyDigests = Set.copyOf(requireNonNull(authorKeyDigests, "authorKeyDigests is null"));
        if (maxVmpl < 0 || maxVmpl > 3) {
            throw new IllegalArgumentException("maxVmpl must be 0..3, got " + maxVmpl);
        }
        if ((requiredPlatformInfo & forbiddenPlatformInfo) != 0) {
            throw new IllegalArgumentException(String.format("PLATFORM_INFO bits 0x%x are both required and forbidden",
                    requiredPlatformInfo & forbiddenPlatformInfo));
        }
        reportData.ifPresent(d -> requireLength("report data", d, 64));
        hostData.ifPresent(d -> requireLength("host data", d, 32));
    }

    private static void requireLength(String what, byte[] value, int length) {
        if (value.length != length) {
            throw new IllegalArgumentException(what + " must be exactly " + length + " bytes, got " + value.length);
        }
    }

    /** This policy, requiring exactly {@code value} (64 bytes) as REPORT_DATA. */
    public AppraisalPolicy withReportData(byte[] value) {
        return toBuilder().reportData(value).build();
    }

    /** This policy, requiring exactly {@code value} (32 bytes) as HOST_DATA. */
    public AppraisalPolicy withHostData(byte[] value) {
        return toBuilder().hostData(value).build();
    }

    /** This policy, requiring that the report's POLICY equal {@code value}, the policy the VM was launched with. */
    public AppraisalPolicy withLaunchedPolicy(long value) {
        return toBuilder().launchedPolicy(value).build();
    }

    /** This policy, accepting exactly this MEASUREMENT (96 hex digits) in addition to any already expected. */
    public AppraisalPolicy withExpectedMeasurement(String hex) {
        return toBuilder().expectMeasurement(hex).build();
    }

    /** The default: signature and chain must verify, VMPL 0, no debug, no migration agent, no reserved platform bits. */
    public static AppraisalPolicy defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this policy's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.measurements.addAll(expectedMeasurements);
        b.reportData = reportData.orElse(null);
        b.hostData = hostData.orElse(null);
        b.launchedPolicy = launchedPolicy.orElse(null);
        b.minimumTcb.putAll(minimumTcb);
        b.minimumCommittedTcb.putAll(minimumCommittedTcb);
        b.minimumLaunchTcb.putAll(minimumLaunchTcb);
        b.minimumFirmware = minimumFirmware.orElse(null);
        b.minimumGuestSvn = minimumGuestSvn;
        b.maxVmpl = maxVmpl;
        b.allowDebug = allowDebug;
        b.allowMigrationAgent = allowMigrationAgent;
        b.allowSmt = allowSmt.orElse(null);
        b.requiredPlatformInfo = requiredPlatformInfo;
        b.forbiddenPlatformInfo = forbiddenPlatformInfo;
        b.idKeyDigests.addAll(idKeyDigests);
        b.authorKeyDigests.addAll(authorKeyDigests);
        return b;
    }

    /** Builds an {@link AppraisalPolicy}; hex arguments accept upper or lower case. */
    public static final class Builder {
        private final Set<String> measurements = new TreeSet<>();
        private byte[] reportData;
        private byte[] hostData;
        private Long launchedPolicy;
        private final Map<String, Integer> minimumTcb = new LinkedHashMap<>();
        private final Map<String, Integer> minimumCommittedTcb = new LinkedHashMap<>();
        private final Map<String, Integer> minimumLaunchTcb = new LinkedHashMap<>();
        private FirmwareVersion minimumFirmware;
        private long minimumGuestSvn;
        private int maxVmpl;
        private boolean allowDebug;
        private boolean allowMigrationAgent;
        private Boolean allowSmt;
        private long requiredPlatformInfo;
        private long forbiddenPlatformInfo;
        private final Set<String> idKeyDigests = new TreeSet<>();
        private final Set<String> authorKeyDigests = new TreeSet<>();

        private Builder() {
        }

        public Builder expectMeasurement(String hex) {
            measurements.add(hex(hex, 48, "measurement"));
            return this;
        }

        public Builder reportData(byte[] value) {
            this.reportData = value.clone();
            return this;
        }

        public Builder hostData(byte[] value) {
            this.hostData = value.clone();
            return this;
        }

        /** The guest policy the VM was launched with; the report's POLICY must equal it. */
        public Builder launchedPolicy(long value) {
            this.launchedPolicy = value;
            return this;
        }

        /** Minimum REPORTED_TCB component (the TCB the VEK was issued for). */
        public Builder minimumTcb(String component, int spl) {
            minimumTcb.put(component(component), spl(spl));
            return this;
        }

        public Builder minimumCommittedTcb(String component, int spl) {
            minimumCommittedTcb.put(component(component), spl(spl));
            return this;
        }

        public Builder minimumLaunchTcb(String component, int spl) {
            minimumLaunchTcb.put(component(component), spl(spl));
            return this;
        }

        public Builder minimumFirmware(FirmwareVersion version) {
            this.minimumFirmware = requireNonNull(version, "version is null");
            return this;
        }

        public Builder minimumGuestSvn(long value) {
            this.minimumGuestSvn = value;
            return this;
        }

        /** The highest VMPL accepted; 0 (the default) accepts only reports requested at the most privileged level. */
        public Builder maxVmpl(int value) {
            this.maxVmpl = value;
            return this;
        }

        public Builder allowDebug(boolean value) {
            this.allowDebug = value;
            return this;
        }

        public Builder allowMigrationAgent(boolean value) {
            this.allowMigrationAgent = value;
            return this;
        }

        public Builder allowSmt(boolean value) {
            this.allowSmt = value;
            return this;
        }

        /** Requires PLATFORM_INFO bit {@code name} ({@link PlatformInfo#BITS}) to be set. */
        public Builder requirePlatformInfo(String name) {
            requiredPlatformInfo |= 1L << platformBit(name);
            return this;
        }

        /** Requires PLATFORM_INFO bit {@code name} ({@link PlatformInfo#BITS}) to be clear. */
        public Builder forbidPlatformInfo(String name) {
            forbiddenPlatformInfo |= 1L << platformBit(name);
            return this;
        }

        public Builder acceptIdKeyDigest(String hex) {
            idKeyDigests.add(hex(hex, 48, "ID key digest"));
            return this;
        }

        public Builder acceptAuthorKeyDigest(String hex) {
            authorKeyDigests.add(hex(hex, 48, "author key digest"));
            return this;
        }

        public AppraisalPolicy build() {
            return new AppraisalPolicy(measurements, Optional.ofNullable(reportData), Optional.ofNullable(hostData),
                    Optional.ofNullable(launchedPolicy), minimumTcb, minimumCommittedTcb, minimumLaunchTcb, Optional.ofNullable(minimumFirmware),
                    minimumGuestSvn, maxVmpl, allowDebug, allowMigrationAgent, Optional.ofNullable(allowSmt), requiredPlatformInfo,
                    forbiddenPlatformInfo, idKeyDigests, authorKeyDigests);
        }

        private static int platformBit(String name) {
            return PlatformInfo.bit(requireNonNull(name, "name is null")).orElseThrow(() -> new IllegalArgumentException(
                    "unknown PLATFORM_INFO bit '" + name + "': expected one of " + String.join(", ", PlatformInfo.BITS.keySet())));
        }

        private static String component(String component) {
            if (!TCB_COMPONENTS.contains(component)) {
                throw new IllegalArgumentException("unknown TCB component '" + component + "': expected fmc, boot_loader, tee, snp or microcode");
            }
            return component;
        }

        private static int spl(int spl) {
            if (spl < 0 || spl > 255) {
                throw new IllegalArgumentException("a TCB security patch level is 0..255, got " + spl);
            }
            return spl;
        }

        private static String hex(String value, int bytes, String what) {
            byte[] parsed;
            try {
                parsed = HexFormat.of().parseHex(requireNonNull(value, what + " is null").trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + " '" + value + "' is not hex: " + e.getMessage());
            }
            if (parsed.length != bytes) {
                throw new IllegalArgumentException(what + " must be " + bytes + " bytes (" + 2 * bytes + " hex digits), got " + parsed.length);
            }
            return HexFormat.of().formatHex(parsed);
        }
    }
}
