package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/**
 * One prerequisite or capability a backend checked on this host.
 *
 * @param name     what was checked, short and stable, e.g. {@code "qemu"}, {@code "/dev/sev"}, {@code "seccomp"}
 * @param passed   whether the host has it
 * @param required whether the backend cannot run at all without it; optional checks describe layers
 *                 that some policies need (a policy needing a missing one fails at exec, before start)
 * @param detail   what was found, e.g. {@code "QEMU 10.0.2 at /usr/bin/qemu-system-x86_64"} or why it failed
 * @param fix      how to get it, e.g. {@code "apt-get install bubblewrap"}; empty when it passed
 */
public record ProbeCheck(String name, boolean passed, boolean required, String detail, String fix) {
    public ProbeCheck {
        requireNonNull(name, "name is null");
        requireNonNull(detail, "detail is null");
        fix = fix == null ? "" : fix;
    }

    public static ProbeCheck ok(String name, String detail) {
        return new ProbeCheck(name, true, true, detail, "");
    }

    public static ProbeCheck missing(String name, String detail, String fix) {
        return new ProbeCheck(name, false, true, detail, fix);
    }

    /** A capability that is not required to run the backend at all, passed or not. */
    public static ProbeCheck optional(String name, boolean passed, String detail, String fix) {
        return new ProbeCheck(name, passed, false, detail, passed ? "" : fix);
    }
}
