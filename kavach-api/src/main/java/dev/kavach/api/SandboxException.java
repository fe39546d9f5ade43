package dev.kavach.api;

/**
 * The sandbox failed, as opposed to the command: the launcher could not start, the VM never booted, the
 * result channel broke. Carries diagnostic context (such as the tail of a VM console) in the message.
 */
public class SandboxException extends KavachException {
    private static final long serialVersionUID = 1L;

    public SandboxException(String message, String fix) {
        super(message, fix);
    }

    public SandboxException(String message, String fix, Throwable cause) {
        super(message, fix, cause);
    }
}
