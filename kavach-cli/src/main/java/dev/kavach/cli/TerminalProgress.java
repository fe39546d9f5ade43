package dev.kavach.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

import dev.kavach.api.Progress;

import static java.util.Objects.requireNonNull;

/**
 * Draws {@link Progress} on a terminal: one line on stderr, redrawn in place ({@code \r} and erase-line) at
 * most every 100 ms, showing the newest unfinished task with its percentage (or the units done when the total
 * is unknown) and the time it has taken; a finished task leaves one line saying how long it took. Only for a
 * terminal: {@link #forStderr} gives {@link Progress#none()} when stderr is a file or a pipe, so logs and
 * scripts stay quiet. Never writes to stdout.
 */
final class TerminalProgress implements Progress {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream err;
    private final LongSupplier clock;
    private final Deque<TaskLine> running = new ArrayDeque<>();
    private long lastDrawn = Long.MIN_VALUE;

    TerminalProgress(PrintStream err, LongSupplier nanoClock) {
        this.err = requireNonNull(err, "err is null");
        this.clock = requireNonNull(nanoClock, "nanoClock is null");
    }

    /** Progress drawn on {@code err} when this process's stderr is a terminal; none otherwise. */
    static Progress forStderr(PrintStream err) {
        return isTerminal(2) ? new TerminalProgress(err, System::nanoTime) : Progress.none();
    }

    /**
     * Whether file descriptor {@code fd} of this process is a terminal: on Linux its {@code /proc/self/fd}
     * link names a tty device. ({@code System.console()} answers for stdin and stdout, not stderr.)
     */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    @Override
    public synchronized Task start(String what, long total) {
        TaskLine task = new TaskLine(requireNonNull(what, "what is null").replaceAll("\\p{Cntrl}", "?"), total, clock.getAsLong());
        running.push(task);
        draw(true);
        return task;
    }

    private synchronized void advanced() {
        draw(false);
    }

    private synchronized void finished(TaskLine task) {
        running.remove(task);
        err.print("\r\033[K" + task.what + ": done in " + seconds(clock.getAsLong() - task.started) + "\n");
        draw(true);
        err.flush();
    }

    private void draw(boolean now) {
        long time = clock.getAsLong();
        if (!now && time - lastDrawn < REDRAW_NANOS) {
            return;
        }
        lastDrawn = time;
        TaskLine task = running.peek();
        if (task == null) {
            return;
        }
        String amount = task.total > 0 ? Math.min(100, task.done * 100 / task.total) + "%" : task.done > 0 ? String.valueOf(task.done) : "...";
        err.print("\r\033[K" + task.what + ": " + amount + " (" + seconds(time - task.started) + ")");
        err.flush();
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** One task: its progress is counted here and drawn by the outer renderer. */
    private final class TaskLine implements Task {
        private final String what;
        private final long total;
        private final long started;
        private long done;
        private boolean closed;

        TaskLine(String what, long total, long started) {
            this.what = what;
            this.total = total;
            this.started = started;
        }

        @Override
        public void advance(long units) {
            synchronized (TerminalProgress.this) {
                if (!closed && units > 0) {
                    done += units;
                }
            }
            advanced();
        }

        @Override
        public void close() {
            synchronized (TerminalProgress.this) {
                if (closed) {
                    return;
                }
                closed = true;
                finished(this);
            }
        }
    }
}
