package dev.kavach.backend.kubernetes;

/** The labels and annotations Kavach puts on every object it creates, so that close and gc find them. */
final class Labels {
    /** Every Kavach object carries {@code app.kubernetes.io/managed-by=kavach}. */
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MANAGED_BY_VALUE = "kavach";
    /** The exec an object belongs to; the NetworkPolicy selects its pod by it. */
    static final String EXEC = "kavach.dev/exec";
    /** The Kavach instance (one backend object) that created it; close deletes what it still owns. */
    static final String INSTANCE = "kavach.dev/instance";
    /** The container that runs the command. */
    static final String CONTAINER = "task";

    private Labels() {
    }
}
