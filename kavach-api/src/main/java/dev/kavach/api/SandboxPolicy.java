package dev.kavach.api;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * What a sandbox must enforce. A backend enforces every field or refuses the exec before the command
 * starts with a {@link PolicyNotEnforceableException}; it never runs with less isolation than asked.
 *
 * <p>For numeric limits, {@code 0} means "no limit". Build policies from a preset and {@link #toBuilder()}
 * (or the {@code with} methods) rather than the canonical constructor: fields may be added before 1.0.
 *
 * <h2>What each limit covers</h2>
 * One exec is one sandbox: the program and every process it starts, until the exec returns.
 * <table>
 * <caption>Scope of each limit</caption>
 * <tr><th>field</th><th>scope</th><th>when exceeded</th></tr>
 * <tr><td>{@code cpus}</td><td>per sandbox: all its processes together get at most this many cores of CPU
 *     time (a quota per period; a VM gets this many vCPUs, rounded up)</td><td>throttled, never killed</td></tr>
 * <tr><td>{@code memoryMiB}</td><td>per sandbox: the memory of all its processes together as a cgroup
 *     counts it (anonymous memory and page cache; no swap to escape to); in a VM, the guest's RAM</td><td>the kernel's OOM killer kills a
 *     process; {@link Outcome#KILLED} when that ended the command</td></tr>
 * <tr><td>{@code maxPids}</td><td>per sandbox: processes and threads alive at once, all together</td>
 *     <td>{@code fork}/{@code clone} fail with {@code EAGAIN}; nothing is killed</td></tr>
 * <tr><td>{@code maxOpenFiles}</td><td>per process: each process may hold this many descriptors
 *     ({@code RLIMIT_NOFILE}, inherited by children)</td><td>{@code open} fails with {@code EMFILE}</td></tr>
 * <tr><td>{@code maxFileSizeBytes}</td><td>per file and process: no process may write a file past this size
 *     ({@code RLIMIT_FSIZE}, rounded down to a multiple of 512 bytes)</td><td>{@code SIGXFSZ}: {@link Outcome#KILLED}</td></tr>
 * <tr><td>{@code outputLimitBytes}</td><td>per stream of the exec: stdout and stderr are bounded
 *     separately</td><td>the rest is drained, counted in {@link StreamOutput#droppedBytes()} and dropped;
 *     the command never blocks and keeps running</td></tr>
 * <tr><td>{@code timeout}</td><td>per exec, wall clock from the start of the program until it ends (what it
 *     leaves running in the background is killed then, and does not extend the exec)</td><td>the whole process tree (or VM) is stopped:
 *     {@link Outcome#TIMED_OUT}</td></tr>
 * </table>
 *
 * <h2>Network off</h2>
 * {@code network = false} means no packet crosses the sandbox's boundary, in either direction: the command
 * has a network namespace (or VM) of its own with no interface but its own loopback, as bubblewrap's
 * {@code --unshare-net}, {@code docker --network none} and nsjail give. That loopback is up, so a program that
 * talks to itself over {@code 127.0.0.1} (a test suite, a local server) works, but it reaches nothing
 * outside: not the host's loopback, not the host's abstract Unix sockets, not another sandbox's. Socket
 * families that no network namespace confines (e.g. {@code AF_VSOCK}) are denied by the seccomp profiles.
 * Unix sockets in the file system remain reachable as files (use {@code readOnlyRoot} and the work directory
 * to limit which). Backends without a private loopback (a VM with no network device) may offer less.
 *
 * <h2>Read-only root</h2>
 * {@code readOnlyRoot = true} makes the host's file systems read-only for the command; what stays writable
 * is its own: a private, empty {@code /tmp}, the work directory, and a private {@code /dev} and {@code /proc}
 * (the process backend also keeps {@code /sys} and {@code /proc/sys} read-only whatever this says). In a VM
 * it applies to the guest's root.
 *
 * <h2>Seccomp</h2>
 * See {@link SeccompProfile} for what {@code basic} and {@code strict} block.
 *
 * <h2>The environment rule</h2>
 * The command's environment is the request's {@link ExecRequest#env()}, plus {@code PATH} when the request
 * sets none (the backend's default search path, e.g. {@code /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin})
 * and {@code PWD}, the working directory, when the request sets none. Nothing of the host's environment is
 * inherited unless a backend setting names it (the process backend's {@code inherit-env}).
 * {@code dev.kavach.api.process.CommandEnvironment} applies this rule.
 *
 * <h2>Starting the program</h2>
 * Argument vectors are executed as given ({@code execve}, never a shell). A program that is not found is
 * reported as {@link Outcome#FAILED_TO_START} with exit code 127, one that cannot be executed as
 * {@code FAILED_TO_START} with 126; a program that runs and itself exits 126 or 127 is
 * {@link Outcome#COMPLETED}. See {@link ExecResult}.
 *
 * @param cpus             CPU limit in cores, fractional allowed (0.5 = half a core); 0 for none
 * @param memoryMiB        memory limit in MiB for the whole sandbox; 0 for none
 * @param maxPids          maximum number of processes and threads alive in the sandbox at once; 0 for none
 * @param network          whether the command may reach any network; false leaves only a private loopback that reaches nothing outside
 * @param readOnlyRoot     whether the root filesystem is read-only (a private {@code /tmp} and the
 *                         work directory stay writable)
 * @param seccomp          the syscall filter
 * @param outputLimitBytes bytes kept per output stream; the rest is drained, counted and dropped; 0 for none
 * @param timeout          wall-clock limit for one exec
 * @param maxOpenFiles     open file descriptor limit per process (RLIMIT_NOFILE); 0 for none
 * @param maxFileSizeBytes largest file any process may write (RLIMIT_FSIZE); 0 for none
 * @param transferLimitBytes the most bytes one file transfer may move in or out of the sandbox (one
 *                   {@link SandboxSession#put put} or {@link SandboxSession#get get}, an exec's
 *                   {@linkplain ExecRequest#files() files} together, its {@linkplain ExecResult#files() collected
 *                   files} together); going over it is a {@link TransferLimitExceededException}, never a silent
 *                   truncation. Always positive
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
        long maxFileSizeBytes,
        long transferLimitBytes) {

    /** Names of the presets, in order of strength. */
    public static final List<String> PRESETS = List.of("minimal", "basic", "strict");

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final long MIB = 1024 * 1024;
    /** The transfer limit of every preset: 64 MiB. */
    public static final long DEFAULT_TRANSFER_LIMIT_BYTES = 64 * MIB;

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
        if (transferLimitBytes <= 0) {
            throw new IllegalArgumentException("transferLimitBytes must be > 0 (file transfers are always bounded), got " + transferLimitBytes);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    /**
     * The constructor before {@code transferLimitBytes}, which it sets to {@link #DEFAULT_TRANSFER_LIMIT_BYTES}.
     *
     * @deprecated build policies with {@link #builder()} or from a preset; kept so that compiled plugins keep linking.
     */
    @Deprecated(since = "0.3.0")
    public SandboxPolicy(double cpus, long memoryMiB, int maxPids, boolean network, boolean readOnlyRoot, SeccompProfile seccomp,
                         long outputLimitBytes, Duration timeout, int maxOpenFiles, long maxFileSizeBytes) {
        this(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes,
                DEFAULT_TRANSFER_LIMIT_BYTES);
    }

    /**
     * Few restrictions on what the command does to itself (network allowed, no limits, no syscall filter),
     * but still a sandbox: no access to the caller's terminal, to other sandboxes or to the host's shared
     * writable places. A timeout and bounded output.
     */
    public static SandboxPolicy minimal() {
        return new SandboxPolicy(0, 0, 0, true, false, SeccompProfile.NONE, 16 * MIB, DEFAULT_TIMEOUT, 0, 0, DEFAULT_TRANSFER_LIMIT_BYTES);
    }

    /**
     * The default: no network, a read-only root (only the work directory and private temporary
     * directories writable), seccomp {@code basic}, 1024 MiB of memory, 256 processes, files up to 1 GiB.
     */
    public static SandboxPolicy basic() {
        return new SandboxPolicy(0, 1024, 256, false, true, SeccompProfile.BASIC, 16 * MIB, DEFAULT_TIMEOUT, 0, 1024 * MIB, DEFAULT_TRANSFER_LIMIT_BYTES);
    }

    /** Read-only root, 512 MiB, 1 CPU, 64 pids, no network, strict seccomp, 1024 open files, 1 MiB of output. */
    public static SandboxPolicy strict() {
        return new SandboxPolicy(1, 512, 64, false, true, SeccompProfile.STRICT, MIB, DEFAULT_TIMEOUT, 1024, 64 * MIB, DEFAULT_TRANSFER_LIMIT_BYTES);
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
        return new SandboxPolicy(value, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withMemoryMiB(long value) {
        return new SandboxPolicy(cpus, value, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withMaxPids(int value) {
        return new SandboxPolicy(cpus, memoryMiB, value, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withNetwork(boolean value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, value, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withReadOnlyRoot(boolean value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, value, seccomp, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withSeccomp(SeccompProfile value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, value, outputLimitBytes, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withOutputLimitBytes(long value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, value, timeout, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withTimeout(Duration value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, value, maxOpenFiles, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withMaxOpenFiles(int value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, value, maxFileSizeBytes, transferLimitBytes);
    }

    public SandboxPolicy withTransferLimitBytes(long value) {
        return toBuilder().transferLimitBytes(value).build();
    }

    public SandboxPolicy withMaxFileSizeBytes(long value) {
        return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles, value, transferLimitBytes);
    }

    /** A builder starting from the {@link #basic()} preset. */
    public static Builder builder() {
        return basic().toBuilder();
    }

    /** A builder holding every field of this policy, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void requireNonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0 (0 = no limit), got " + value);
        }
    }

    /**
     * Builds a {@link SandboxPolicy}, field by field, from a preset or another policy. Values are checked
     * when {@link #build()} is called. Not thread-safe.
     */
    public static final class Builder {
        private double cpus;
        private long memoryMiB;
        private int maxPids;
        private boolean network;
        private boolean readOnlyRoot;
        private SeccompProfile seccomp;
        private long outputLimitBytes;
        private Duration timeout;
        private int maxOpenFiles;
        private long maxFileSizeBytes;
        private long transferLimitBytes;

        private Builder(SandboxPolicy base) {
            this.cpus = base.cpus;
            this.memoryMiB = base.memoryMiB;
            this.maxPids = base.maxPids;
            this.network = base.network;
            this.readOnlyRoot = base.readOnlyRoot;
            this.seccomp = base.seccomp;
            this.outputLimitBytes = base.outputLimitBytes;
            this.timeout = base.timeout;
            this.maxOpenFiles = base.maxOpenFiles;
            this.maxFileSizeBytes = base.maxFileSizeBytes;
            this.transferLimitBytes = base.transferLimitBytes;
        }

        public Builder cpus(double value) {
            this.cpus = value;
            return this;
        }

        public Builder memoryMiB(long value) {
            this.memoryMiB = value;
            return this;
        }

        public Builder maxPids(int value) {
            this.maxPids = value;
            return this;
        }

        public Builder network(boolean value) {
            this.network = value;
            return this;
        }

        public Builder readOnlyRoot(boolean value) {
            this.readOnlyRoot = value;
            return this;
        }

        public Builder seccomp(SeccompProfile value) {
            this.seccomp = value;
            return this;
        }

        public Builder outputLimitBytes(long value) {
            this.outputLimitBytes = value;
            return this;
        }

        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        public Builder maxOpenFiles(int value) {
            this.maxOpenFiles = value;
            return this;
        }

        public Builder maxFileSizeBytes(long value) {
            this.maxFileSizeBytes = value;
            return this;
        }

        /**
         * The most bytes one file transfer may move: one file put into or read from a session, the files
         * placed before one exec together, the files collected after it together. Always bounded.
         */
        public Builder transferLimitBytes(long value) {
            this.transferLimitBytes = value;
            return this;
        }

        /** @throws IllegalArgumentException naming the first field out of range */
        public SandboxPolicy build() {
            return new SandboxPolicy(cpus, memoryMiB, maxPids, network, readOnlyRoot, seccomp, outputLimitBytes, timeout, maxOpenFiles,
                    maxFileSizeBytes, transferLimitBytes);
        }
    }
}
