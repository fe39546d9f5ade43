package dev.kavach.backend.sev.attestation;

/**
 * PLATFORM_INFO: how the host platform was configured when the report was made.
 *
 * @param raw the u64 as in the report
 */
public record PlatformInfo(long raw) {
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

    private boolean bit(int n) {
        return (raw >>> n & 1) == 1;
    }

    @Override
    public String toString() {
        return String.format("0x%x", raw);
    }
}
