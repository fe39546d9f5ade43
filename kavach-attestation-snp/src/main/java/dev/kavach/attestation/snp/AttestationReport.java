package dev.kavach.attestation.snp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * An AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP ABI specification, "ATTESTATION_REPORT Structure"),
 * versions 2 to 5, parsed strictly (version 3 adds CPUID_FAM_ID/MOD_ID/STEP at {@code 0x188}; version 4 has
 * version 3's layout; version 5 adds LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR at {@code 0x1F8}/{@code 0x200}),: a wrong length, an unknown version or signature algorithm, a
 * reserved KEY_INFO value or a non-zero reserved area is a {@link ReportParseException} naming the field
 * and its offset. Nothing is verified here; see {@link ReportVerifier}.
 *
 * <p>Immutable; byte-array accessors return copies.
 */
public final class AttestationReport {
    /** Every report is exactly this long. */
    public static final int LENGTH = 1184;
    /** The signature covers bytes {@code 0x000} up to (excluding) this offset. */
    public static final int SIGNED_LENGTH = 0x2A0;
    /** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384, the only one defined. */
    public static final int ECDSA_P384_SHA384 = 1;
    /** The oldest report version understood (SNP ABI 1.51). */
    public static final int MIN_VERSION = 2;
    /** The newest report version understood (SNP ABI 1.58: mitigation vectors). */
    public static final int MAX_VERSION = 5;

    private final byte[] raw;
    private final ByteBuffer le;

    private AttestationReport(byte[] raw) {
        this.raw = raw;
        this.le = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Parses a report.
     *
     * @throws ReportParseException when {@code bytes} is not a well-formed version 2 to 5 report
     */
    public static AttestationReport parse(byte[] bytes) {
        requireNonNull(bytes, "bytes is null");
        if (bytes.length != LENGTH) {
            throw new ReportParseException("report", 0, "length is " + bytes.length + " bytes, expected exactly " + LENGTH
                    + (bytes.length > LENGTH ? " (is this an extended report or a response message with a header?)" : ""));
        }
        AttestationReport report = new AttestationReport(bytes.clone());
        report.validate();
        return report;
    }

    private void validate() {
        int version = le.getInt(0x000);
        if (version < MIN_VERSION || version > MAX_VERSION) {
            throw new ReportParseException("version", 0x000, "unsupported version " + Integer.toUnsignedString(version)
                    + ": versions 2 to 5 are understood");
        }
        int algo = le.getInt(0x034);
        if (algo != ECDSA_P384_SHA384) {
            throw new ReportParseException("signature_algo", 0x034, "unknown signature algorithm " + Integer.toUnsignedString(algo)
                    + ": only 1 (ECDSA P-384 with SHA-384) is defined");
        }
        int keyInfo = le.getInt(0x048);
        if ((keyInfo >>> 5) != 0) {
            throw new ReportParseException("key_info", 0x048, String.format("reserved bits 31:5 must be zero, got 0x%08x", keyInfo));
        }
        int signingKey = (keyInfo >>> 2) & 0x7;
        if (signingKey != 0 && signingKey != 1 && signingKey != 7) {
            throw new ReportParseException("key_info.signing_key", 0x048, "reserved signing key value " + signingKey
                    + ": expected 0 (VCEK), 1 (VLEK) or 7 (none)");
        }
        requireZero("reserved (after key_info)", 0x04C, 0x050);
        requireZero("reserved (after reported_tcb)", version >= 3 ? 0x18B : 0x188, 0x1A0);
        requireZero("reserved (after current_major)", 0x1EB, 0x1EC);
        requireZero("reserved (after committed_major)", 0x1EF, 0x1F0);
        requireZero("reserved (after launch_tcb)", version >= 5 ? 0x208 : 0x1F8, 0x2A0);
        // r and s are 72-byte little-endian fields holding 48-byte P-384 values: the top 24 bytes are zero.
        requireZero("signature.r (high bytes)", 0x2A0 + 48, 0x2E8);
        requireZero("signature.s (high bytes)", 0x2E8 + 48, 0x330);
        requireZero("signature (reserved)", 0x330, LENGTH);
    }

    private void requireZero(String field, int from, int to) {
        for (int i = from; i < to; i++) {
            if (raw[i] != 0) {
                throw new ReportParseException(field, from, String.format(
                        "must be zero (bytes 0x%03X..0x%03X), but byte 0x%03X is 0x%02x", from, to - 1, i, raw[i] & 0xFF));
            }
        }
    }

    private byte[] slice(int offset, int length) {
        return Arrays.copyOfRange(raw, offset, offset + length);
    }

    /** The complete report as given. */
    public byte[] bytes() {
        return raw.clone();
    }

    /** Bytes {@code 0x000..0x29F}: what the signature covers. */
    public byte[] signedBytes() {
        return slice(0, SIGNED_LENGTH);
    }

    public int version() {
        return le.getInt(0x000);
    }

    public long guestSvn() {
        return Integer.toUnsignedLong(le.getInt(0x004));
    }

    public GuestPolicy policy() {
        return new GuestPolicy(le.getLong(0x008));
    }

    public byte[] familyId() {
        return slice(0x010, 16);
    }

    public byte[] imageId() {
        return slice(0x020, 16);
    }

    public int vmpl() {
        return le.getInt(0x030);
    }

    public int signatureAlgo() {
        return le.getInt(0x034);
    }

    public long currentTcbRaw() {
        return le.getLong(0x038);
    }

    public PlatformInfo platformInfo() {
        return new PlatformInfo(le.getLong(0x040));
    }

    public int keyInfoRaw() {
        return le.getInt(0x048);
    }

    /** KEY_INFO bit 0: the ID block was signed with an author key (AUTHOR_KEY_DIGEST is meaningful). */
    public boolean authorKeyEnabled() {
        return (keyInfoRaw() & 1) != 0;
    }

    /** KEY_INFO bit 1: the guest asked for CHIP_ID to be masked (zeroed). */
    public boolean maskChipKey() {
        return (keyInfoRaw() & 2) != 0;
    }

    public SigningKey signingKey() {
        return switch ((keyInfoRaw() >>> 2) & 7) {
            case 0 -> SigningKey.VCEK;
            case 1 -> SigningKey.VLEK;
            default -> SigningKey.NONE;
        };
    }

    public byte[] reportData() {
        return slice(0x050, 64);
    }

    public byte[] measurement() {
        return slice(0x090, 48);
    }

    public byte[] hostData() {
        return slice(0x0C0, 32);
    }

    public byte[] idKeyDigest() {
        return slice(0x0E0, 48);
    }

    public byte[] authorKeyDigest() {
        return slice(0x110, 48);
    }

    public byte[] reportId() {
        return slice(0x140, 32);
    }

    public byte[] reportIdMa() {
        return slice(0x160, 32);
    }

    public long reportedTcbRaw() {
        return le.getLong(0x180);
    }

    /** CPUID family (base + extended) of the chip: version 3 and later only. */
    public OptionalInt cpuidFamily() {
        return version() >= 3 ? OptionalInt.of(raw[0x188] & 0xFF) : OptionalInt.empty();
    }

    public OptionalInt cpuidModel() {
        return version() >= 3 ? OptionalInt.of(raw[0x189] & 0xFF) : OptionalInt.empty();
    }

    public OptionalInt cpuidStepping() {
        return version() >= 3 ? OptionalInt.of(raw[0x18A] & 0xFF) : OptionalInt.empty();
    }

    /** The generation the report's CPUID names (version 3+); empty for version 2 or an unknown model. */
    public Optional<SevGeneration> generationFromCpuid() {
        return version() >= 3 ? SevGeneration.byCpuid(raw[0x188] & 0xFF, raw[0x189] & 0xFF) : Optional.empty();
    }

    public byte[] chipId() {
        return slice(0x1A0, 64);
    }

    /** True when CHIP_ID is all zero (masked by policy, or a VLEK report). */
    public boolean chipIdMasked() {
        for (int i = 0x1A0; i < 0x1E0; i++) {
            if (raw[i] != 0) {
                return false;
            }
        }
        return true;
    }

    public long committedTcbRaw() {
        return le.getLong(0x1E0);
    }

    public FirmwareVersion currentVersion() {
        return new FirmwareVersion(raw[0x1EA] & 0xFF, raw[0x1E9] & 0xFF, raw[0x1E8] & 0xFF);
    }

    public FirmwareVersion committedVersion() {
        return new FirmwareVersion(raw[0x1EE] & 0xFF, raw[0x1ED] & 0xFF, raw[0x1EC] & 0xFF);
    }

    public long launchTcbRaw() {
        return le.getLong(0x1F0);
    }

    /** LAUNCH_MIT_VECTOR: version 5 and later only. */
    public OptionalLong launchMitVector() {
        return version() >= 5 ? OptionalLong.of(le.getLong(0x1F8)) : OptionalLong.empty();
    }

    /** CURRENT_MIT_VECTOR: version 5 and later only. */
    public OptionalLong currentMitVector() {
        return version() >= 5 ? OptionalLong.of(le.getLong(0x200)) : OptionalLong.empty();
    }

    /** Signature component r as stored: 72 bytes, little-endian. */
    public byte[] signatureR() {
        return slice(0x2A0, 72);
    }

    /** Signature component s as stored: 72 bytes, little-endian. */
    public byte[] signatureS() {
        return slice(0x2E8, 72);
    }

    public TcbVersion currentTcb(SevGeneration layout) {
        return new TcbVersion(currentTcbRaw(), layout);
    }

    public TcbVersion reportedTcb(SevGeneration layout) {
        return new TcbVersion(reportedTcbRaw(), layout);
    }

    public TcbVersion committedTcb(SevGeneration layout) {
        return new TcbVersion(committedTcbRaw(), layout);
    }

    public TcbVersion launchTcb(SevGeneration layout) {
        return new TcbVersion(launchTcbRaw(), layout);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttestationReport other && Arrays.equals(raw, other.raw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return "AttestationReport[version=" + version() + ", signingKey=" + signingKey() + ", vmpl=" + vmpl()
                + ", measurement=" + java.util.HexFormat.of().formatHex(measurement()) + "]";
    }
}
