package dev.kavach.api;

/**
 * An optional feature of a backend, declared in {@link BackendInfo#capabilities()}. The host refuses a call
 * that needs a capability the selected backend lacks before anything starts, with a
 * {@link CapabilityNotSupportedException} that names the backend.
 */
public enum Capability {
    /**
     * {@link SandboxBackend#openSession(SandboxPolicy)}: a sandbox whose working directory (and, for a VM
     * backend, whose guest) persists across execs until it is closed, with file operations on it.
     */
    SESSIONS,
    /**
     * {@link ExecRequest#files()} and {@link ExecRequest#collect()} on a single exec: files placed in the
     * working directory before the command, files collected from it afterwards into {@link ExecResult#files()}.
     */
    FILES
}
