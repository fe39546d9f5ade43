package dev.kavach.core;

/**
 * A policy's memory limit is whole MiB ({@link dev.kavach.api.SandboxPolicy#memoryMiB()}); sizes are given in
 * HOCON's units. One rule turns the one into the other, for {@code kavach.policy.memory} and the CLI's
 * {@code --memory} alike: round up to the next MiB (so {@code 512MB}, 488.3 MiB, becomes 489 MiB and never
 * less than was asked), and refuse what no program can run in.
 */
public final class MemoryLimit {
    private static final long MIB = 1024 * 1024;

    private MemoryLimit() {
    }

    /**
     * @param bytes a memory limit in bytes; 0 for none
     * @return the limit in whole MiB, rounded up; 0 for none
     * @throws IllegalArgumentException when {@code bytes} is negative or below 1 MiB (but not 0)
     */
    public static long mebibytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("a memory limit cannot be negative; expected 0 (no limit) or at least 1M");
        }
        if (bytes > 0 && bytes < MIB) {
            throw new IllegalArgumentException("memory limits below 1M cannot run any program; expected 0 (no limit) or at least 1M");
        }
        return bytes / MIB + (bytes % MIB == 0 ? 0 : 1);
    }
}
