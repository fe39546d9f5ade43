package dev.kavach.cli;

/** The exit codes {@code kavach} reserves, following GNU {@code timeout} and {@code env}. */
final class ExitCodes {
    /** {@code kavach backends} etc. succeeded. */
    static final int OK = 0;
    /** A usage error outside {@code kavach run} (bad option or command). */
    static final int USAGE = 2;
    /** The command ran past its timeout and was stopped. */
    static final int TIMED_OUT = 124;
    /** Kavach itself failed (configuration, backend, sandbox), or {@code kavach run} was used wrongly. */
    static final int KAVACH_FAILED = 125;
    /** The command was found but could not be executed. */
    static final int NOT_EXECUTABLE = 126;
    /** The command was not found. */
    static final int NOT_FOUND = 127;

    private ExitCodes() {
    }
}
