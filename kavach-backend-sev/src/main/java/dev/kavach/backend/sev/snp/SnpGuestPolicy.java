package dev.kavach.backend.sev.snp;

import java.util.ArrayList;
import java.util.List;

/**
 * The SEV-SNP guest policy (the 64-bit {@code POLICY} of SNP_LAUNCH_START), every bit of the ABI as a
 * typed field. Bit 17 is reserved and must be 1; bits 63:26 must be 0: {@link #fromBits} rejects both.
 *
 * @param abiMinor          bits 7:0, the minimum firmware ABI minor version
 * @param abiMajor          bits 15:8, the minimum firmware ABI major version
 * @param smtAllowed        bit 16: the guest may run on a host with SMT enabled
 * @param migrationAgent    bit 18: a migration agent may be associated with the guest
 * @param debug             bit 19: the host may debug the guest (decrypt its memory)
 * @param singleSocket      bit 20: the guest may only be activated on one socket
 * @param cxlAllowed        bit 21: CXL may be populated with devices or memory
 * @param memAes256Xts      bit 22: require AES-256-XTS memory encryption
 * @param raplDisabled      bit 23: require Running Average Power Limit to be disabled
 * @param ciphertextHiding  bit 24: require ciphertext hiding
 * @param pageSwapDisabled  bit 25: disable guest support for SNP_PAGE_MOVE/SWAP
 */
public record SnpGuestPolicy(
        int abiMinor,
        int abiMajor,
        boolean smtAllowed,
        boolean migrationAgent,
        boolean debug,
        boolean singleSocket,
        boolean cxlAllowed,
        boolean memAes256Xts,
        boolean raplDisabled,
        boolean ciphertextHiding,
        boolean pageSwapDisabled) {

    static final int SMT = 16;
    static final int RESERVED_ONE = 17;
    static final int MIGRATE_MA = 18;
    static final int DEBUG = 19;
    static final int SINGLE_SOCKET = 20;
    static final int CXL_ALLOW = 21;
    static final int MEM_AES_256_XTS = 22;
    static final int RAPL_DIS = 23;
    static final int CIPHERTEXT_HIDING = 24;
    static final int PAGE_SWAP_DISABLE = 25;
    /** Bits upstream KVM (6.11 era) accepts in SNP_LAUNCH_START; it answers EINVAL for any other. */
    static final long KVM_SUPPORTED_MASK = 0x3FFFFL | (1L << DEBUG) | (1L << SINGLE_SOCKET);
    private static final long MUST_BE_ZERO_MASK = ~((1L << 26) - 1);

    public SnpGuestPolicy {
        if (abiMinor < 0 || abiMinor > 255) {
            throw new IllegalArgumentException("SNP policy ABI minor must be 0..255, got " + abiMinor);
        }
        if (abiMajor < 0 || abiMajor > 255) {
            throw new IllegalArgumentException("SNP policy ABI major must be 0..255, got " + abiMajor);
        }
    }

    /**
     * The hardened default: no debug, no migration agent, nothing optional; SMT allowed exactly when the
     * host runs with SMT (a policy forbidding SMT cannot launch on an SMT host).
     */
    public static SnpGuestPolicy hardened(boolean hostSmtActive) {
        return new SnpGuestPolicy(0, 0, hostSmtActive, false, false, false, false, false, false, false, false);
    }

    /**
     * Decodes a policy value.
     *
     * @throws IllegalArgumentException naming the violated bits when bit 17 is 0 or any of bits 63:26 is set
     */
    public static SnpGuestPolicy fromBits(long bits) {
        if ((bits & (1L << RESERVED_ONE)) == 0) {
            throw new IllegalArgumentException(String.format(
                    "SNP guest policy 0x%x has reserved bit 17 clear; the ABI requires it set (e.g. 0x%x)", bits, bits | (1L << RESERVED_ONE)));
        }
        if ((bits & MUST_BE_ZERO_MASK) != 0) {
            throw new IllegalArgumentException(String.format(
                    "SNP guest policy 0x%x sets must-be-zero bits 63:26 (0x%x)", bits, bits & MUST_BE_ZERO_MASK));
        }
        return new SnpGuestPolicy((int) (bits & 0xFF), (int) ((bits >>> 8) & 0xFF),
                bit(bits, SMT), bit(bits, MIGRATE_MA), bit(bits, DEBUG), bit(bits, SINGLE_SOCKET), bit(bits, CXL_ALLOW),
                bit(bits, MEM_AES_256_XTS), bit(bits, RAPL_DIS), bit(bits, CIPHERTEXT_HIDING), bit(bits, PAGE_SWAP_DISABLE));
    }

    /** The 64-bit policy value for QEMU's {@code sev-snp-guest,policy=}. */
    public long toBits() {
        long bits = abiMinor | ((long) abiMajor << 8) | (1L << RESERVED_ONE);
        bits |= flag(smtAllowed, SMT) | flag(migrationAgent, MIGRATE_MA) | flag(debug, DEBUG) | flag(singleSocket, SINGLE_SOCKET)
                | flag(cxlAllowed, CXL_ALLOW) | flag(memAes256Xts, MEM_AES_256_XTS) | flag(raplDisabled, RAPL_DIS)
                | flag(ciphertextHiding, CIPHERTEXT_HIDING) | flag(pageSwapDisabled, PAGE_SWAP_DISABLE);
        return bits;
    }

    /** {@code 0x...}, the form QEMU and the SNP documentation use. */
    public String toHex() {
        return "0x" + Long.toHexString(toBits());
    }

    /** The names of set bits that upstream KVM refuses with EINVAL; empty when KVM accepts the policy. */
    public List<String> bitsRejectedByKvm() {
        long rejected = toBits() & ~KVM_SUPPORTED_MASK;
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++) {
            if ((rejected & (1L << bit)) != 0) {
                names.add(bitName(bit) + " (bit " + bit + ")");
            }
        }
        return List.copyOf(names);
    }

    /** The names of the risky bits set: debug lets the host read guest memory, a migration agent can export it. */
    public List<String> weakenings() {
        List<String> names = new ArrayList<>();
        if (debug) {
            names.add("debug (bit 19): the host can decrypt guest memory");
        }
        if (migrationAgent) {
            names.add("migration agent (bit 18): a migration agent can export guest memory");
        }
        return List.copyOf(names);
    }

    static String bitName(int bit) {
        return switch (bit) {
            case SMT -> "SMT allowed";
            case RESERVED_ONE -> "reserved";
            case MIGRATE_MA -> "migration agent";
            case DEBUG -> "debug";
            case SINGLE_SOCKET -> "single socket";
            case CXL_ALLOW -> "CXL allowed";
            case MEM_AES_256_XTS -> "AES-256-XTS";
            case RAPL_DIS -> "RAPL disabled";
            case CIPHERTEXT_HIDING -> "ciphertext hiding";
            case PAGE_SWAP_DISABLE -> "page swap disabled";
            default -> bit < 8 ? "ABI minor" : bit < 16 ? "ABI major" : "must-be-zero";
        };
    }

    private static boolean bit(long bits, int bit) {
        return (bits & (1L << bit)) != 0;
    }

    private static long flag(boolean set, int bit) {
        return set ? 1L << bit : 0;
    }
}
