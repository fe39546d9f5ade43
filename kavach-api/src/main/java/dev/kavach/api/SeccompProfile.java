package dev.kavach.api;

/** Which system calls a sandbox filters. Backends without a syscall filter (VMs) treat this as advisory. */
public enum SeccompProfile {
    /** No syscall filter. */
    NONE,
    /** Denies what a normal command never needs: kernel modules, mount, ptrace, bpf, keyrings, reboot... */
    BASIC,
    /** {@link #BASIC} plus namespace creation, socket families beyond unix/inet, and other attack surface. */
    STRICT
}
