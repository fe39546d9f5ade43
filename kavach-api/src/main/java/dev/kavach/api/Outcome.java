package dev.kavach.api;

/**
 * How an exec ended. A non-zero exit is still {@link #COMPLETED}: the command ran and said so. The rules
 * for the exit code of each outcome are on {@link ExecResult}.
 */
public enum Outcome {
    /**
     * The program ran and ended by itself; {@link ExecResult#exitCode()} is its status ({@code 128 + n}
     * for signal {@code n}), including a program's own 126 or 127.
     */
    COMPLETED,
    /**
     * The wall-clock limit expired; the whole process tree (or VM) was stopped and nothing of it is left
     * running. The exit code is what the stopped process reported, usually 137.
     */
    TIMED_OUT,
    /** A limit other than time stopped the command (memory, pids, file size); {@link ExecResult#detail()} says which. */
    KILLED,
    /**
     * The program could not be started inside the sandbox, so nothing of it ran: exit code 127 when it
     * was not found, 126 when it is not executable; {@link ExecResult#detail()} says which.
     */
    FAILED_TO_START
}
