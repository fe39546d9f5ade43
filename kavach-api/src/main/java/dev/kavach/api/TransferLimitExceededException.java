package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/**
 * A file transfer would move more than {@link SandboxPolicy#transferLimitBytes()}. Nothing is truncated: the
 * transfer fails, and a file that was being written is removed.
 */
public class TransferLimitExceededException extends KavachException {
    private static final long serialVersionUID = 1L;
    private final long limitBytes;

    /**
     * @param what       what was being moved, e.g. {@code "file 'out/data.bin'"} or {@code "the files collected by 'out/*'"}
     * @param sizeBytes  its size, or at least how many bytes had been seen when the limit was crossed
     * @param limitBytes the limit that applied
     */
    public TransferLimitExceededException(String what, long sizeBytes, long limitBytes) {
        super(requireNonNull(what, "what is null") + " is " + (sizeBytes > limitBytes ? "over " : "") + bytes(sizeBytes)
                        + ", more than the transfer limit of " + bytes(limitBytes) + " (policy transferLimitBytes)",
                "raise kavach.policy.transfer-limit (or the policy's transferLimitBytes), or move less data at once");
        this.limitBytes = limitBytes;
    }

    /** The limit that was exceeded, in bytes. */
    public long limitBytes() {
        return limitBytes;
    }

    private static String bytes(long n) {
        long mib = 1024 * 1024;
        return n >= mib && n % mib == 0 ? n / mib + " MiB" : n + " bytes";
    }
}
