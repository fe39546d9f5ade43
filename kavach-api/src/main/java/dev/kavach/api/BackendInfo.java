package dev.kavach.api;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What a backend is, independent of this host.
 *
 * @param id          the id users select it by: lower case letters, digits and {@code -}, e.g. {@code "sev"}
 * @param displayName a name for humans
 * @param isolation   the kind of isolation it provides
 * @param strength    a rank for {@code kavach.backend = auto}: higher is stronger isolation; 0 is never
 *                    chosen automatically. Built-ins use 0 (noop), 100 (process), 300 (vm), 500 (sev).
 * @param description one sentence on what it does
 * @param capabilities the optional features it has (sessions, files in and out); empty for none
 */
public record BackendInfo(String id, String displayName, IsolationKind isolation, int strength, String description,
                          Set<Capability> capabilities) {
    public BackendInfo {
        capabilities = capabilities == null || capabilities.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(capabilities));
        requireNonNull(id, "id is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(isolation, "isolation is null");
        requireNonNull(description, "description is null");
        if (!id.matches("[a-z][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("backend id '" + id + "' must match [a-z][a-z0-9-]{0,63}");
        }
        if (strength < 0) {
            throw new IllegalArgumentException("strength of backend '" + id + "' must not be negative: " + strength);
        }
    }

    /** A backend without optional capabilities, as in 0.1.0; add them with {@link #withCapabilities}. */
    public BackendInfo(String id, String displayName, IsolationKind isolation, int strength, String description) {
        this(id, displayName, isolation, strength, description, Set.of());
    }

    /** The same backend with these capabilities. */
    public BackendInfo withCapabilities(Capability... value) {
        return new BackendInfo(id, displayName, isolation, strength, description, value.length == 0 ? Set.of() : EnumSet.copyOf(List.of(value)));
    }

    /** Whether it declares {@code capability}. */
    public boolean supports(Capability capability) {
        return capabilities.contains(requireNonNull(capability, "capability is null"));
    }
}
