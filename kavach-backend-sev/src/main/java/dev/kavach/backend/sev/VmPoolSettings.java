package dev.kavach.backend.sev;

import dev.kavach.api.BackendSettings;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * {@code kavach.backends.<id>.pool}: how many warm guests to keep booted, and how long an unused one may wait
 * before the pool stops it and sleeps until the next exec.
 *
 * @param size      guests kept ready; 0 turns the pool off (every exec boots its own guest)
 * @param idleLimit how long a ready guest may go unused
 */
record VmPoolSettings(int size, Duration idleLimit) {
    static final String SIZE = "pool.size";
    static final String IDLE_LIMIT = "pool.idle-limit";
    /** The most a pool may hold: each guest is a QEMU with its own memory. */
    static final int MAX_SIZE = 64;

    VmPoolSettings {
        requireNonNull(idleLimit, "idleLimit is null");
    }

    static VmPoolSettings from(BackendSettings settings) {
        int size = settings.integer(SIZE, 0);
        if (size < 0 || size > MAX_SIZE) {
            throw settings.invalid(SIZE, String.valueOf(size), "0 (no pool) to " + MAX_SIZE + " warm guests");
        }
        Duration idle = settings.duration(IDLE_LIMIT, Duration.ofMinutes(10));
        if (idle.isZero() || idle.isNegative()) {
            throw settings.invalid(IDLE_LIMIT, settings.string(IDLE_LIMIT, ""), "a positive duration such as 10m");
        }
        return new VmPoolSettings(size, idle);
    }
}
