package dev.kavach.api;

/** How a backend separates the command from the host, weakest first. */
public enum IsolationKind {
    /** No isolation at all (test doubles). */
    NONE,
    /** A host process, possibly with namespaces, limits and seccomp. */
    PROCESS,
    /** A virtual machine with its own kernel. */
    VM,
    /** A virtual machine whose memory the host cannot read, with hardware attestation. */
    CONFIDENTIAL_VM
}
