package dev.kavach.attestation.snp;

/**
 * The guest policy the VM was launched with, as the report states it (SEV-SNP ABI, GUEST_POLICY).
 *
 * @param raw the u64 as in the report
 */
public record GuestPolicy(long raw) {
    public int abiMinor() {
        return (int) (raw & 0xFF);
    }

    public int abiMajor() {
        return (int) ((raw >>> 8) & 0xFF);
    }

    public boolean smtAllowed() {
        return bit(16);
    }

    /** Bit 17 is reserved and must be 1 in every valid policy. */
    public boolean reservedBit17() {
        return bit(17);
    }

    public boolean migrationAgentAllowed() {
        return bit(18);
    }

    public boolean debugAllowed() {
        return bit(19);
    }

    public boolean singleSocketOnly() {
        return bit(20);
    }

    public boolean cxlAllowed() {
        return bit(21);
    }

    public boolean memAes256Xts() {
        return bit(22);
    }

    public boolean raplDisabled() {
        return bit(23);
    }

    public boolean ciphertextHiding() {
        return bit(24);
    }

    public boolean pageSwapDisabled() {
        return bit(25);
    }

    private boolean bit(int n) {
        return (raw >>> n & 1) == 1;
    }

    @Override
    public String toString() {
        return String.format("0x%x", raw);
    }
}
