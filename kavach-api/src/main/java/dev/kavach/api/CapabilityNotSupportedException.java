package dev.kavach.api;

import java.util.Locale;

import static java.util.Objects.requireNonNull;

/** A call needs a {@link Capability} that the backend does not have; thrown before anything starts. */
public class CapabilityNotSupportedException extends KavachException {
    private static final long serialVersionUID = 1L;
    private final String backendId;
    private final Capability capability;

    public CapabilityNotSupportedException(String backendId, Capability capability) {
        super("backend '" + requireNonNull(backendId, "backendId is null") + "' does not support "
                        + describe(requireNonNull(capability, "capability is null")),
                "choose a backend whose capabilities in 'kavach backends' include " + capability.name().toLowerCase(Locale.ROOT));
        this.backendId = backendId;
        this.capability = capability;
    }

    public String backendId() {
        return backendId;
    }

    public Capability capability() {
        return capability;
    }

    private static String describe(Capability capability) {
        return switch (capability) {
            case SESSIONS -> "sessions (a sandbox kept alive across execs, with file operations)";
            case FILES -> "files in and out of a single exec (ExecRequest files and collect)";
        };
    }
}
