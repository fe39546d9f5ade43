package dev.kavach.api.process;

import java.util.List;

/**
 * What a {@link TreeKill} did, and the proof: the processes it signalled and those still running when it
 * gave up waiting (zombies count as dead: they run nothing more).
 *
 * @param killed    the process ids it killed, parents before children
 * @param survivors the process ids still running afterwards; empty when the whole tree is gone
 * @param mechanism how the tree was killed, for the result's {@code timeout} enforcement note
 */
public record TreeKillReport(List<Long> killed, List<Long> survivors, String mechanism) {
    public TreeKillReport {
        killed = List.copyOf(killed);
        survivors = List.copyOf(survivors);
        java.util.Objects.requireNonNull(mechanism, "mechanism is null");
    }

    /** Whether nothing of the tree runs any more. */
    public boolean clean() {
        return survivors.isEmpty();
    }
}
