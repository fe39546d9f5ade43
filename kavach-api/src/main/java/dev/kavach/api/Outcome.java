package dev.kavach.api;

/** How an exec ended. A non-zero exit is still {@link #COMPLETED}: the command ran and said so. */
public enum Outcome {
    /** The command ran to its end; {@link ExecResult#exitCode()} is its status. */
    COMPLETED,
    /** The wall-clock limit expired; the whole process tree (or VM) was stopped. */
    TIMED_OUT,
    /** A limit other than time stopped the command (memory, pids, file size); {@link ExecResult#detail()} says which. */
    KILLED,
    /** The program could not be started inside the sandbox (not found: exit 127; not executable: exit 126). */
    FAILED_TO_START
}
