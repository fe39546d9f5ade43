package dev.kavach.api;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Which mechanism enforced one part of the policy for an exec, e.g. {@code (MEMORY, "cgroup v1
 * memory.limit_in_bytes=536870912")} or {@code (NETWORK, "private network namespace, its own loopback only")}. Use the
 * constants below as {@code limit}, so that users and tools (the JSON output) see one name per limit
 * whatever the backend; a backend may add names of its own for mechanisms outside the policy.
 */
public record Enforcement(String limit, String mechanism) {
    /** {@link SandboxPolicy#cpus()}. */
    public static final String CPU = "cpu";
    /** {@link SandboxPolicy#memoryMiB()}. */
    public static final String MEMORY = "memory";
    /** {@link SandboxPolicy#maxPids()}. */
    public static final String PIDS = "pids";
    /** {@link SandboxPolicy#network()}. */
    public static final String NETWORK = "network";
    /** {@link SandboxPolicy#readOnlyRoot()} and what else of the file system the command sees. */
    public static final String FILESYSTEM = "filesystem";
    /** {@link SandboxPolicy#seccomp()}. */
    public static final String SECCOMP = "seccomp";
    /** {@link SandboxPolicy#outputLimitBytes()}. */
    public static final String OUTPUT = "output";
    /** {@link SandboxPolicy#timeout()}: how the tree is stopped when it expires. */
    public static final String TIMEOUT = "timeout";
    /** {@link SandboxPolicy#maxOpenFiles()}. */
    public static final String OPEN_FILES = "open-files";
    /** {@link SandboxPolicy#maxFileSizeBytes()}. */
    public static final String FILE_SIZE = "file-size";
    /** The namespaces the command runs in. */
    public static final String NAMESPACES = "namespaces";
    /** The isolation boundary itself when it is not namespaces, e.g. a virtual machine. */
    public static final String ISOLATION = "isolation";
    /** The user the command runs as. */
    public static final String USER = "user";
    /** Everything else done to a command's process: capabilities dropped, no_new_privs, a new session. */
    public static final String HYGIENE = "hygiene";

    /** Every name above, in the order of the policy's fields, then the others. */
    public static final List<String> LIMITS = List.of(CPU, MEMORY, PIDS, NETWORK, FILESYSTEM, SECCOMP, OUTPUT, TIMEOUT, OPEN_FILES,
            FILE_SIZE, NAMESPACES, ISOLATION, USER, HYGIENE);

    public Enforcement {
        requireNonNull(limit, "limit is null");
        requireNonNull(mechanism, "mechanism is null");
    }

    /** The mechanism that enforced {@code limit}, one of {@link #LIMITS} or a name of the backend's own. */
    public static Enforcement of(String limit, String mechanism) {
        return new Enforcement(limit, mechanism);
    }
}
