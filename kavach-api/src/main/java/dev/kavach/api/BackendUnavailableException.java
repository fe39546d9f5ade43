package dev.kavach.api;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** A backend cannot run on this host; {@link #availability()} lists every failed prerequisite with its fix. */
public class BackendUnavailableException extends KavachException {
    private static final long serialVersionUID = 1L;
    private final transient Availability availability;

    /** For a backend that finds at create time that the host cannot run it; it cannot know the other backends. */
    public BackendUnavailableException(String backendId, Availability availability) {
        this(backendId, availability, null);
    }

    /**
     * @param availableIds the backends that are available instead, named in the message; {@code null} when
     *                     unknown (the host adds them when it selects)
     */
    public BackendUnavailableException(String backendId, Availability availability, List<String> availableIds) {
        super(message(backendId, availability, availableIds), fixes(availability));
        this.availability = requireNonNull(availability, "availability is null");
    }

    /**
     * For a subclass that words its message itself, e.g. one line summing up several backends, while
     * {@link #availability()} keeps every failed check.
     *
     * @param message      what is unavailable, and why
     * @param fix          what the user can do about it
     * @param availability every failed prerequisite, with its fix
     * @since 0.2.0
     */
    protected BackendUnavailableException(String message, String fix, Availability availability) {
        super(message, fix);
        this.availability = requireNonNull(availability, "availability is null");
    }

    /** Every failed prerequisite, each with its fix. */
    public Availability availability() {
        return availability;
    }

    private static String message(String backendId, Availability availability, List<String> availableIds) {
        StringBuilder text = new StringBuilder("backend '").append(backendId).append("' is unavailable on this host");
        for (ProbeCheck problem : availability.problems()) {
            text.append("\n  - ").append(problem.name()).append(": ").append(problem.detail());
            if (!problem.fix().isEmpty()) {
                text.append(" (fix: ").append(problem.fix()).append(')');
            }
        }
        if (availableIds != null) {
            text.append("\n  available backends: ").append(availableIds.isEmpty() ? "none" : String.join(", ", availableIds));
        }
        return text.toString();
    }

    private static String fixes(Availability availability) {
        return String.join("; ", availability.problems().stream().map(ProbeCheck::fix).filter(f -> !f.isEmpty()).toList());
    }
}
