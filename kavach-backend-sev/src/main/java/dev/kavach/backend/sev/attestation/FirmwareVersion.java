package dev.kavach.backend.sev.attestation;

/** An SEV firmware version as a report states it: major.minor, build. */
public record FirmwareVersion(int major, int minor, int build) {
    @Override
    public String toString() {
        return major + "." + minor + " build " + build;
    }
}
