package dev.kavach.api;

/**
 * A setting is missing, malformed or out of range. The message names the key (and, where the host knows
 * it, the file and line it came from) and the accepted values.
 */
public class ConfigurationException extends KavachException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message, String fix) {
        super(message, fix);
    }

    public ConfigurationException(String message, String fix, Throwable cause) {
        super(message, fix, cause);
    }
}
