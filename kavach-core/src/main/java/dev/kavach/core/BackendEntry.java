package dev.kavach.core;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendInfo;

import static java.util.Objects.requireNonNull;

/**
 * A discovered backend: what it is, where it came from, and whether it can run here (probed once).
 */
public record BackendEntry(BackendInfo info, BackendOrigin origin, Availability availability) {
    public BackendEntry {
        requireNonNull(info, "info is null");
        requireNonNull(origin, "origin is null");
        requireNonNull(availability, "availability is null");
    }

    public String id() {
        return info.id();
    }
}
