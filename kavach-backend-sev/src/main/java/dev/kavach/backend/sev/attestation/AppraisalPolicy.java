package dev.kavach.backend.sev.attestation;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * What a relying party requires of a report whose signature is valid. Defaults are strict where a lax
 * default would be unsafe: debug and migration agents are forbidden; everything else accepts any value
 * until set. Build with {@link #builder()}.
 *
 * @param expectedMeasurements accepted MEASUREMENT values (hex, 96 digits); empty accepts any
 * @param reportData           the exact REPORT_DATA required (64 bytes; the nonce binding), if any
 * @param hostData             the exact HOST_DATA required (32 bytes), if any
 * @param minimumTcb           minimum REPORTED_TCB per component name (boot_loader, tee, snp, microcode, fmc)
 * @param minimumGuestSvn      minimum GUEST_SVN
 * @param maxVmpl              highest VMPL accepted (0 is the most privileged level)
 * @param allowDebug           accept guests whose policy allows debugging (the host can read their memory)
 * @param allowMigrationAgent  accept guests whose policy allows a migration agent
 * @param allowSmt             empty accepts either; {@code false} rejects a policy that allows SMT
 * @param idKeyDigests         accepted ID_KEY_DIGEST values (hex); empty accepts any
 * @param authorKeyDigests     accepted AUTHOR_KEY_DIGEST values (hex); empty accepts any
 */
public record AppraisalPolicy(Set<String> expectedMeasurements, Optional<byte[]> reportData, Optional<byte[]> hostData,
                              Map<String, Integer> minimumTcb, long minimumGuestSvn, int maxVmpl, boolean allowDebug,
                              boolean allowMigrationAgent, Optional<Boolean> allowSmt, Set<String> idKeyDigests,
                              Set<String> authorKeyDigests) {
    public AppraisalPolicy {
        expectedMeasurements = Set.copyOf(requireNonNull(expectedMeasurements, "expectedMeasurements is null"));
        requireNonNull(reportData, "reportData is null");
        requireNonNull(hostData, "hostData is null");
        minimumTcb = Map.copyOf(requireNonNull(minimumTcb, "minimumTcb is null"));
        requireNonNull(allowSmt, "allowSmt is null");
        idKeyDigests = Set.copyOf(requireNonNull(idKeyDigests, "idKeyDigests is null"));
        authorKeyDigests = Set.copyOf(requireNonNull(authorKeyDigests, "authorKeyDigests is null"));
        if (maxVmpl < 0 || maxVmpl > 3) {
            throw new IllegalArgumentException("maxVmpl must be 0..3, got " + maxVmpl);
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
        return new AppraisalPolicy(expectedMeasurements, Optional.of(value.clone()), hostData, minimumTcb, minimumGuestSvn, maxVmpl,
                allowDebug, allowMigrationAgent, allowSmt, idKeyDigests, authorKeyDigests);
    }

    /** This policy, requiring exactly {@code value} (32 bytes) as HOST_DATA. */
    public AppraisalPolicy withHostData(byte[] value) {
        return new AppraisalPolicy(expectedMeasurements, reportData, Optional.of(value.clone()), minimumTcb, minimumGuestSvn, maxVmpl,
                allowDebug, allowMigrationAgent, allowSmt, idKeyDigests, authorKeyDigests);
    }

    /** The default: signature and chain must verify, no debug, no migration agent, anything else goes. */
    public static AppraisalPolicy defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link AppraisalPolicy}; hex arguments accept upper or lower case. */
    public static final class Builder {
        private final Set<String> measurements = new TreeSet<>();
        private byte[] reportData;
        private byte[] hostData;
        private final Map<String, Integer> minimumTcb = new LinkedHashMap<>();
        private long minimumGuestSvn;
        private int maxVmpl = 3;
        private boolean allowDebug;
        private boolean allowMigrationAgent;
        private Boolean allowSmt;
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

        public Builder minimumTcb(String component, int spl) {
            if (!Set.of("fmc", "boot_loader", "tee", "snp", "microcode").contains(component)) {
                throw new IllegalArgumentException("unknown TCB component '" + component + "': expected fmc, boot_loader, tee, snp or microcode");
            }
            minimumTcb.put(component, spl);
            return this;
        }

        public Builder minimumGuestSvn(long value) {
            this.minimumGuestSvn = value;
            return this;
        }

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

        public Builder acceptIdKeyDigest(String hex) {
            idKeyDigests.add(hex(hex, 48, "ID key digest"));
            return this;
        }

        public Builder acceptAuthorKeyDigest(String hex) {
            authorKeyDigests.add(hex(hex, 48, "author key digest"));
            return this;
        }

        public AppraisalPolicy build() {
            return new AppraisalPolicy(measurements, Optional.ofNullable(reportData), Optional.ofNullable(hostData), minimumTcb,
                    minimumGuestSvn, maxVmpl, allowDebug, allowMigrationAgent, Optional.ofNullable(allowSmt), idKeyDigests, authorKeyDigests);
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
