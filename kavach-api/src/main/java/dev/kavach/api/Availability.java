package dev.kavach.api;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The result of probing a backend on this host: every check it made, so that a user sees at once all
 * that is missing and how to fix each, rather than one problem per attempt.
 */
public record Availability(List<ProbeCheck> checks) {
    public Availability {
        checks = List.copyOf(requireNonNull(checks, "checks is null"));
    }

    public static Availability of(ProbeCheck... checks) {
        return new Availability(List.of(checks));
    }

    /** True when every required check passed. */
    public boolean available() {
        return checks.stream().allMatch(check -> check.passed() || !check.required());
    }

    /** The required checks that failed: why the backend cannot run. */
    public List<ProbeCheck> problems() {
        return checks.stream().filter(check -> check.required() && !check.passed()).toList();
    }

    /** Optional capabilities this host lacks: policies needing them fail before the command starts. */
    public List<ProbeCheck> missingOptional() {
        return checks.stream().filter(check -> !check.required() && !check.passed()).toList();
    }
}
