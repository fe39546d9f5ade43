package dev.kavach.core;

/** Where a {@link Sandbox} is in its lifecycle: {@code CREATED -> STARTED -> CLOSED}, or {@code FAILED} when start failed. */
public enum SandboxState {
    CREATED,
    STARTED,
    CLOSED,
    FAILED
}
