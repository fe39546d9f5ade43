package dev.kavach.api;

/**
 * Receives a command's output while it runs. Called from the backend's reader threads, possibly
 * concurrently for the two streams; implementations must be thread-safe and must not block for long.
 * Receives exactly the bytes the result keeps (those within the output limit).
 */
@FunctionalInterface
public interface OutputListener {
    OutputListener NONE = (stream, data, offset, length) -> { };

    void onOutput(StdStream stream, byte[] data, int offset, int length);

    /**
     * Whether the result should also keep the bytes delivered here. Return false to stream unlimited
     * output (policy output limit 0) to a file or socket with bounded memory: the result's streams then
     * hold no bytes, and their {@code droppedBytes} count only what exceeded the output limit (the bytes
     * delivered here are the listener's to count).
     */
    default boolean keepInResult() {
        return true;
    }
}
