package dev.kavach.api;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * What a sandbox must enforce. A backend enforces every field or refuses the exec before the command
 * starts with a {@link PolicyNotEnforceableException}; it never runs with less isolation than asked.
 *
 * <p>For numeric limits, {@code 0} means "no limit". Build policies from a preset and the {@code with}
 * methods rather than the canonical constructor: fields may be added before 1.0.
 *
 * @param cpus             CPU limit in cores, fractional allowed (0.5 = half a core); 0 for none
 * @param memoryMiB        memory limit in MiB; 0 for none
 * @param maxPids          maximum number of processes/threads in the sandbox; 0 for none
 * @param network          whether the command may reach any network; false leaves only a down loopback
 * @param readOnlyRoot     whether the root filesystem is read-only (a private {@code /tmp} and the
 *                         work directory stay writable)
 * @param seccomp          the syscall filter
 * @param outputLimitBytes bytes kept per output stream; the rest is drained, counted and dropped; 0 for none
 * @param timeout          wall-clock limit for one exec
 * @param maxOpenFiles     open file descriptor limit (RLIMIT_NOFILE); 0 for none
 * @param maxFileSizeBytes largest file the command may write (RLIMIT_FSIZE); 0 for none
 */
@Experimental(eta = "1.0")
public record SandboxPolicy(
        double cpus,
        long memoryMiB,
        int maxPids,
        boolean network,
        boolean readOnlyRoot,
        SeccompProfile seccomp,
        long outputLimitBytes,
        Duration timeout,
        int maxOpenFiles,
        long maxFileSizeBytes) {

    /** Names of the presets, in order of strength. */
    public static final List<String> PRESETS = List.of("minimal", "basic", "strict");

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final long MIB = 1024 * 1024;

    public SandboxPolicy {
        requireNonNull(seccomp, "seccomp is null");
        requireNonNull(timeout, "timeout is null");
        if (!Double.isFinite(cpus) || cpus < 0) {
            throw new IllegalArgumentException("cpus must be a finite number >= 0 (0 = no limit), got " + cpus);
        }
        requireNonNegative("memoryMiB", memoryMiB);
        requireNonNegative("maxPids", maxPids);
        requireNonNegative("outputLimitBytes", outputLimitBytes);
        requireNonNegative("maxOpenFiles", maxOpenFiles);
        requireNonNegative("maxFileSizeBytes", maxFileSizeBytes);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    /**
     * Few restrictions on what the command does to itself (network allowed, no limits, no syscall filter),
     * but still a sandbox: no access to the caller's terminal, to other sandboxes or to the host's shared
     * writable places. A timeout and bounded output.
     */
    public static SandboxPolicy minimal() {
        return new SandboxPolicy(0, 0, 0, true, false, SeccompProfile.NONE, 16 * MIB, DEFAULT_TIMEOUT, 0, 0);
    }

    /**
     * The default: no network, a read-only root (only the work directory and private temporary
     * directories writable), seccomp {@code basic}, 1024 MiB of memory, 256 processes, files up to 1 GiB.
     */
    public static SandboxPolicy basic() {
        return new SandboxPolicy(0, 1024, 256, false, true, SeccompProfile.BASIC, 16 * MIB, DEFAULT_TIMEOUT, 0, 1024 * MIB);
    }

    /** Read-only root, 512 MiB, 1 CPU, 64 pids, no network, strict seccomp, 1024 open files, 1 MiB of output. */
    public static SandboxPolicy strict() {
        return new SandboxPolicy(1, 512, 64, false, true, SeccompProfile.STRICT, MIB, DEFAULT_TIMEOUT, 1024, 64 * MIB);
    }

    /** The preset with this name, one of {@link #PRESETS}. */
    public static SandboxPolicy preset(String name) {
        return switch (requireNonNull(name, "name is null").toLowerCase(Locale.ROOT)) {
            case "minimal" -> minimal();
            case "basic" -> basic();
            case "strict" -> strict();
            default -> throw new ConfigurationException(
                    "unknown policy preset '" + name + "'", "use one of " + String.join(", ", PRESETS));
        };
    }

    public SandboxPolicy withCpus(double value) {
        return new SandboxPolicy(value, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withMemoryMiB(long value) {
        return new SandboxPolicy(cpus, value, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withMaxPids(int value) {
        return new SandboxPolicy(cpus, memoryMiB, value, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withNetwork(boolean value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, value, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withReadOnlyRoot(boolean value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, value, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withSeccomp(SeccompProfile value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, value, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withOutputLimitBytes(long value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, value, timeout, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withTimeout(Duration value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, value, maxOpenFiles, maxFileSizeBytes);
    }

    public SandboxPolicy withMaxOpenFiles(int value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, value, maxFileSizeBytes);
    }

    public SandboxPolicy withMaxFileSizeBytes(long value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, value);
    }

    private static void requireNonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0 (0 = no limit), got " + value);
        }
    }
}
