package dev.kavach.core;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.ProbeCheck;

import java.util.Comparator;
import java.util.List;

/**
 * {@code kavach.backend = auto} found no backend that isolates commands. Its message is one line that
 * names the backend nearest to usable (fewest missing prerequisites; the built-in {@code process} on a
 * tie) and what it lacks; {@link #fix()} is that backend's fix. {@link #availability()} still holds every
 * failed check of every backend, each prefixed with the backend's id, and {@code kavach backends} prints them.
 */
public final class NoBackendAvailableException extends BackendUnavailableException {
    private static final long serialVersionUID = 1L;

    /** Where the details are, for a second line under the message. */
    public static final String HINT = "'kavach backends' lists what every backend lacks, each with its fix";

    NoBackendAvailableException(List<BackendEntry> ranked, Availability every) {
        this(nearest(ranked), every);
    }

    private NoBackendAvailableException(BackendEntry nearest, Availability every) {
        super(message(nearest), nearest == null ? "install a backend plugin, or name one with kavach.backend or --backend"
                : firstFix(nearest), every);
    }

    private static BackendEntry nearest(List<BackendEntry> ranked) {
        return ranked.stream()
                .min(Comparator.comparingInt((BackendEntry entry) -> entry.availability().problems().size())
                        .thenComparing(entry -> entry.origin().kind())
                        .thenComparingInt(entry -> entry.info().strength()))
                .orElse(null);
    }

    private static String message(BackendEntry nearest) {
        if (nearest == null) {
            return "no backend that isolates commands is installed (noop isolates nothing and is never chosen automatically)";
        }
        List<ProbeCheck> problems = nearest.availability().problems();
        String lacks = problems.isEmpty() ? "it is unavailable"
                : (problems.get(0).name() + ": " + problems.get(0).detail()).replace('\n', ' ')
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
        return "no backend that isolates commands is available here; the nearest, " + nearest.id() + ", lacks " + lacks;
    }

    private static String firstFix(BackendEntry nearest) {
        return nearest.availability().problems().stream().map(ProbeCheck::fix).filter(fix -> !fix.isBlank()).findFirst()
                .map(fix -> fix.replace('\n', ' '))
                .orElse("see 'kavach backends'");
    }
}
