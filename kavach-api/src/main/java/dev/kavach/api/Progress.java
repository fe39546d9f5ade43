package dev.kavach.api;

/**
 * Where a backend or a plugin command reports how far long work has come: a download, a guest image
 * build, a kernel or certificate fetch. The host decides what becomes of it: the {@code kavach} CLI draws
 * it on stderr when stderr is a terminal and drops it otherwise; an embedder gets {@link #none()} unless it
 * gives Kavach a {@code Progress} of its own. Never written to stdout, so it cannot mix with a command's
 * output or with JSON. Implementations are thread-safe; reporting never blocks for long and never throws.
 *
 * <pre>{@code
 * try (Progress.Task task = context.progress().start("downloading linux-image-6.12", sizeInBytes)) {
 *     while ((n = in.read(buffer)) > 0) {
 *         out.write(buffer, 0, n);
 *         task.advance(n);
 *     }
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public interface Progress {
    /**
     * Starts one piece of work.
     *
     * @param what  what is being done, in a few words, e.g. {@code "building the guest image"}
     * @param total its size in units the caller advances by (bytes, files, steps), or {@code 0} or less when
     *              unknown (the host then shows that it is still working, not how far)
     * @return the task, to advance and to close when the work ends (successfully or not)
     */
    Task start(String what, long total);

    /** A progress that shows nothing: what backends get when nobody watches. */
    static Progress none() {
        return NoProgress.INSTANCE;
    }

    /** One piece of work in progress; close it when the work ends. */
    interface Task extends AutoCloseable {
        /** Records that {@code units} more of the total are done. */
        void advance(long units);

        /** The work ended; the host stops showing it. Idempotent. */
        @Override
        void close();
    }
}

/** {@link Progress#none()}: discards everything. */
enum NoProgress implements Progress, Progress.Task {
    INSTANCE;

    @Override
    public Task start(String what, long total) {
        return this;
    }

    @Override
    public void advance(long units) {
    }

    @Override
    public void close() {
    }
}
