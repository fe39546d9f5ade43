package dev.kavach.api.process;

import java.io.IOException;

/**
 * Entered around the spawn of a launch, e.g. to move the spawning thread into the exec's cgroup so that the
 * child is born there, and closed right after.
 */
@FunctionalInterface
public interface SpawnScope {
    SpawnScope NONE = () -> () -> { };

    AutoCloseable enter() throws IOException;
}
