package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/**
 * Root of every exception Kavach throws on purpose. The message says what failed and why; {@link #fix()}
 * says what the user can do about it. Unchecked, so that it crosses lambdas and streams.
 *
 * <p>A command that ran and exited non-zero is <em>not</em> an exception: it is an {@link ExecResult}.
 * Exceptions mean the sandbox itself failed.
 */
public class KavachException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String fix;

    public KavachException(String message, String fix) {
        this(message, fix, null);
    }

    public KavachException(String message, String fix, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.fix = fix == null ? "" : fix;
    }

    /** What the user can do to resolve the problem; empty when there is nothing to add to the message. */
    public String fix() {
        return fix;
    }

    /** One line for a terminal: the message, then the fix if there is one. */
    public String oneLine() {
        String message = getMessage().replace('\n', ' ');
        return fix.isEmpty() ? message : message + " (fix: " + fix.replace('\n', ' ') + ")";
    }
}
