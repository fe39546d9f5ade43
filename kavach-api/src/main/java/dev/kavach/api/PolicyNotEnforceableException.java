package dev.kavach.api;

/**
 * The policy asks for isolation this backend cannot enforce on this host. Thrown before the command
 * starts: Kavach never runs a command with less isolation than was asked for.
 */
public class PolicyNotEnforceableException extends KavachException {
    private static final long serialVersionUID = 1L;

    public PolicyNotEnforceableException(String message, String fix) {
        super(message, fix);
    }
}
