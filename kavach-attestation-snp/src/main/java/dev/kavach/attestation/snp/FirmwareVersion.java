package dev.kavach.attestation.snp;

/** An SEV firmware version as a report states it: major.minor, build. Ordered by major, then minor, then build. */
public record FirmwareVersion(int major, int minor, int build) implements Comparable<FirmwareVersion> {
    public FirmwareVersion {
        if (major < 0 || major > 255 || minor < 0 || minor > 255 || build < 0 || build > 255) {
            throw new IllegalArgumentException("firmware version parts are bytes (0..255), got " + major + "." + minor + "." + build);
        }
    }

    /**
     * Parses {@code MAJOR.MINOR} or {@code MAJOR.MINOR.BUILD} (decimal), e.g. {@code 1.55} or {@code 1.55.21}.
     *
     * @throws IllegalArgumentException naming the text and the accepted form
     */
    public static FirmwareVersion parse(String text) {
        String[] parts = text.trim().split("\\.", -1);
        try {
            if (parts.length == 2 || parts.length == 3) {
                return new FirmwareVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
                        parts.length == 3 ? Integer.parseInt(parts[2]) : 0);
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("firmware version '" + text + "' is not MAJOR.MINOR or MAJOR.MINOR.BUILD (decimal, e.g. 1.55.21)");
    }

    @Override
    public int compareTo(FirmwareVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(build, o.build);
    }

    @Override
    public String toString() {
        return major + "." + minor + " build " + build;
    }
}
