package dev.kavach.backend.sev.cli;

/** Unusable command-line input (exit code 2): the message says what was wrong and how to fix it. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
