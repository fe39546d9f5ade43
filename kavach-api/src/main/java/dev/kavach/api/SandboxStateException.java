package dev.kavach.api;

/** An operation does not fit the sandbox's lifecycle state, such as {@code exec} after {@code close}. */
public class SandboxStateException extends KavachException {
    private static final long serialVersionUID = 1L;

    public SandboxStateException(String message, String fix) {
        super(message, fix);
    }
}
