package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/**
 * Which mechanism enforced one part of the policy for an exec, e.g. {@code ("memory", "cgroup v1
 * memory.limit_in_bytes=536870912")} or {@code ("network", "network namespace, loopback down")}.
 */
public record Enforcement(String limit, String mechanism) {
    public Enforcement {
        requireNonNull(limit, "limit is null");
        requireNonNull(mechanism, "mechanism is null");
    }
}
